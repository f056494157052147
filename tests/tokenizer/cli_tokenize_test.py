#!/usr/bin/env python3
"""Runs `minnow tokenize VOCAB --file ITEM` on llama.cpp's vocabulary test items and compares
the printed ids with the .out reference. Usage: cli_tokenize_test.py MINNOW VOCAB_DIR."""
import os
import subprocess
import sys
import tempfile

SEP = b"\n__ggml_vocab_test__\n"
# vocabulary -> how many items to run (each run loads the vocabulary; qwen2's is the slow one)
VOCABS = {"ggml-vocab-llama-spm.gguf": 8, "ggml-vocab-gpt-2.gguf": 5, "ggml-vocab-qwen2.gguf": 4}


def items(path):
    raw = open(path, "rb").read()
    out = raw.split(SEP)
    if out and out[-1] == b"":
        out.pop()  # the file ends with a separator
    return out


def main():
    minnow, vocab_dir = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for vocab, count in VOCABS.items():
            model = os.path.join(vocab_dir, vocab)
            texts = items(model + ".inp")
            expected = open(model + ".out", "rb").read().split(b"\n")
            # Spread the picks over the file: short, whitespace-only and multilingual items.
            step = max(1, len(texts) // count)
            for i in range(0, len(texts), step):
                path = os.path.join(tmp, "item.txt")
                with open(path, "wb") as f:
                    f.write(texts[i])
                run = subprocess.run([minnow, "tokenize", model, "--file", path],
                                     capture_output=True, timeout=60)
                want = b" ".join(expected[i].split()) + b"\n"
                if run.returncode == 0 and run.stdout == want:
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {vocab} item {i} {texts[i]!r}: rc={run.returncode} "
                          f"got={run.stdout!r} want={want!r} stderr={run.stderr!r}")
        # Errors: missing --file target and bad arguments exit 1 with a message.
        for bad in ([minnow, "tokenize", os.path.join(vocab_dir, next(iter(VOCABS))), "--file",
                     os.path.join(tmp, "missing.txt")],
                    [minnow, "tokenize", "--file", os.path.join(tmp, "item.txt")]):
            run = subprocess.run(bad, capture_output=True, timeout=60)
            if run.returncode == 1 and b"error" in run.stderr:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {bad[2:]}: rc={run.returncode} stderr={run.stderr!r}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
