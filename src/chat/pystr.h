#pragma once
// Python str semantics over UTF-8 std::string: code-point aware length/slicing, whitespace,
// strip/split/case mapping and the repr() spellings that Jinja output depends on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minnow::chat::pystr {

std::vector<char32_t> decode(std::string_view s);
std::string encode(const std::vector<char32_t>& cps);
void append_utf8(std::string& out, char32_t cp);
size_t length(std::string_view s);  // code points

bool is_space(char32_t cp);  // Python str.isspace
char32_t to_lower(char32_t cp);
char32_t to_upper(char32_t cp);
bool is_alpha(char32_t cp);
bool is_digit(char32_t cp);

std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string capitalize(std::string_view s);   // str.capitalize
std::string title_method(std::string_view s); // str.title
std::string title_filter(std::string_view s); // Jinja's |title (splits on -, whitespace, brackets)

// chars == nullopt strips whitespace; otherwise strips any code point found in *chars.
std::string strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);
// sep == nullopt: split on whitespace runs, dropping empties. maxsplit < 0: unlimited.
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit);
std::vector<std::string> splitlines(std::string_view s);
std::string replace(std::string_view s, std::string_view from, std::string_view to,
                    int64_t count);  // count < 0: all
int64_t count(std::string_view s, std::string_view sub);
int64_t find(std::string_view s, std::string_view sub, bool reverse);  // code-point index or -1
std::string center(std::string_view s, int64_t width, std::string_view fill);

std::string repr(std::string_view s);  // Python repr() of a str
std::string float_repr(double d);      // Python repr() of a float
// JSON string literal as Python json.dumps writes it.
void json_quote(std::string& out, std::string_view s, bool ensure_ascii);

}  // namespace minnow::chat::pystr
