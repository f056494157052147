#pragma once
// Template lexer: splits the source into text and tag tokens, applying Jinja's whitespace
// rules as Hugging Face configures them (trim_blocks, lstrip_blocks, `-`/`+` modifiers,
// newline normalisation, the dropped final newline). Linear in the source size.
#include <string>
#include <vector>

namespace minnow::chat {

enum class Tok { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };

struct Token {
  Tok type = Tok::Eof;
  std::string text;  // Text data, name, decoded string literal, number spelling, operator
  int line = 1;
  int col = 1;
};

// Throws TemplateError (with line:column) for malformed tags.
std::vector<Token> tokenize(const std::string& source);

// Python's splitlines() + "\n".join: every line break becomes '\n', one trailing break dropped.
std::string normalize_newlines(const std::string& source);

}  // namespace minnow::chat
