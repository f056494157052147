#pragma once
// Runs tests/chat/jinja_reference.py (Python Jinja2 configured as Hugging Face does) on a
// batch of cases and compares with our engine.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/template.h"

namespace minnow::chat::testing {

using ojson = nlohmann::ordered_json;

struct Case {
  std::string label;
  std::string template_path;  // or
  std::string source;
  ojson context;
};

struct Outcome {
  bool ok = false;
  std::string text;  // render or error message
};

// Debian's interpreter first: its python3-jinja2 is the reference scripts/setup.sh installs.
inline std::string python() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

inline bool python_jinja_available() {
  return std::system((python() + " -c 'import jinja2' >/dev/null 2>&1").c_str()) == 0;
}

inline std::vector<Outcome> run_reference(const std::vector<Case>& cases) {
  ojson batch = ojson::array();
  for (const auto& c : cases) {
    ojson j;
    j["template"] = c.template_path.empty() ? ojson() : ojson(c.template_path);
    j["source"] = c.template_path.empty() ? ojson(c.source) : ojson();
    j["context"] = c.context;
    batch.push_back(j);
  }
  char path[] = "/tmp/minnow_chat_casesXXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  {
    std::ofstream f(path, std::ios::binary);
    f << batch.dump();
  }
  std::string cmd = python() + " '" + MINNOW_SOURCE_DIR + "/tests/chat/jinja_reference.py' '" + path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  std::remove(path);
  if (rc != 0) throw std::runtime_error("reference renderer failed: " + out);
  ojson res = ojson::parse(out);
  std::vector<Outcome> outcomes;
  for (const auto& r : res) {
    Outcome o;
    o.ok = r.contains("ok");
    o.text = o.ok ? r["ok"].get<std::string>() : r["error"].get<std::string>();
    outcomes.push_back(std::move(o));
  }
  return outcomes;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline Outcome run_ours(const Case& c) {
  Outcome o;
  try {
    std::string src = c.template_path.empty() ? c.source : read_file(c.template_path);
    o.text = ChatTemplate::parse(src).render(c.context);
    o.ok = true;
  } catch (const std::exception& e) {
    o.text = e.what();
  }
  return o;
}

inline std::string first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  size_t from = i > 40 ? i - 40 : 0;
  return "at byte " + std::to_string(i) + ": ours ...\"" + a.substr(from, 100) + "\"\n  python ...\"" +
         b.substr(from, 100) + "\"";
}

// Compares every case; returns how many rendered successfully in Python.
inline int compare_all(const std::vector<Case>& cases) {
  std::vector<Outcome> ref = run_reference(cases);
  EXPECT_EQ(ref.size(), cases.size());
  int ok = 0;
  for (size_t i = 0; i < cases.size() && i < ref.size(); ++i) {
    Outcome ours = run_ours(cases[i]);
    if (ref[i].ok) {
      ++ok;
      EXPECT_TRUE(ours.ok) << cases[i].label << ": python rendered, we failed: " << ours.text;
      if (ours.ok) {
        EXPECT_EQ(ours.text, ref[i].text) << cases[i].label << " " << first_difference(ours.text, ref[i].text);
      }
    } else {
      EXPECT_FALSE(ours.ok) << cases[i].label << ": python failed (" << ref[i].text << ") but we rendered:\n" << ours.text;
    }
  }
  return ok;
}

}  // namespace minnow::chat::testing
