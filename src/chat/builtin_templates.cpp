#include "chat/builtin_templates.h"

#include <algorithm>

namespace minnow::chat {

namespace {

constexpr std::string_view kChatML = R"TPL({%- for message in messages %}
    {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %}
)TPL";

constexpr std::string_view kLlama3 = R"TPL({{- bos_token }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
)TPL";

// DeepSeek-R1: system text first, reasoning dropped from past assistant turns, and the
// generation prompt opens the <think> block.
constexpr std::string_view kDeepSeekR1 = R"TPL({{- bos_token }}
{%- set ns = namespace(system='') %}
{%- for message in messages if message['role'] == 'system' %}
    {%- set ns.system = ns.system + message['content'] %}
{%- endfor %}
{{- ns.system }}
{%- for message in messages %}
    {%- if message['role'] == 'user' %}
        {{- '<｜User｜>' + message['content'] }}
    {%- elif message['role'] == 'assistant' %}
        {%- set content = message['content'] %}
        {%- if '</think>' in content %}
            {%- set content = content.split('</think>')[-1] %}
        {%- endif %}
        {{- '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<｜Assistant｜><think>\n' }}
{%- endif %}
)TPL";

// Gemma has no system role: its text is prepended to the next user turn.
constexpr std::string_view kGemma = R"TPL({{- bos_token }}
{%- set ns = namespace(system='') %}
{%- for message in messages %}
    {%- if message['role'] == 'system' %}
        {%- set ns.system = message['content'] | trim + '\n\n' %}
    {%- else %}
        {%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}
        {%- set prefix = ns.system if role == 'user' else '' %}
        {{- '<start_of_turn>' + role + '\n' + prefix + message['content'] | trim + '<end_of_turn>\n' }}
        {%- if role == 'user' %}
            {%- set ns.system = '' %}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<start_of_turn>model\n' }}
{%- endif %}
)TPL";

constexpr std::string_view kPhi3 = R"TPL({%- for message in messages %}
    {%- if message['role'] != 'system' or message['content'] %}
        {{- '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|assistant|>\n' }}
{%- else %}
    {{- eos_token }}
{%- endif %}
)TPL";

bool has(const std::vector<std::string_view>& tokens, std::string_view t) {
  return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
}

}  // namespace

std::optional<std::string_view> builtin_template(std::string_view family) {
  if (family == "chatml") return kChatML;
  if (family == "llama3") return kLlama3;
  if (family == "deepseek-r1") return kDeepSeekR1;
  if (family == "gemma") return kGemma;
  if (family == "phi3") return kPhi3;
  return std::nullopt;
}

std::optional<std::string> guess_template_family(std::string_view arch, const std::vector<std::string_view>& tokens) {
  if (has(tokens, "<｜User｜>") && has(tokens, "<｜Assistant｜>")) return "deepseek-r1";
  if (has(tokens, "<|start_header_id|>") && has(tokens, "<|eot_id|>")) return "llama3";
  if (has(tokens, "<start_of_turn>") || arch.rfind("gemma", 0) == 0) return "gemma";
  if (arch == "phi3" || (has(tokens, "<|user|>") && has(tokens, "<|end|>"))) return "phi3";
  if (arch == "qwen2" || arch == "qwen3" || arch == "qwen2moe" || arch == "qwen3moe" || has(tokens, "<|im_start|>")) {
    return "chatml";
  }
  return std::nullopt;
}

}  // namespace minnow::chat
