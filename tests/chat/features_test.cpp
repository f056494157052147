// Engine features, each snippet compared live with Python Jinja2 (HF configuration).
#include "reference.h"

namespace minnow::chat::testing {
namespace {

const char* const kSnippets[] = {
    // output of Python values
    "{{ none }}|{{ true }}|{{ false }}|{{ 1.0 }}|{{ 0.1 }}|{{ 1e16 }}|{{ 1.5e-7 }}|{{ 123456789.125 }}|{{ -0.0 }}",
    "{{ [1, 'a', none, true, 1.5, {'k': [1, \"it's\"]}] }}|{{ (1,) }}|{{ () }}|{{ (1, 'b') }}|{{ {} }}",
    "{{ 'tab\\there' }}|{{ ['new\\nline', 'back\\\\slash', \"q'\\\"\"] }}|{{ '\\u00e9\\x41\\101' }}",
    "{{ 10 / 4 }}|{{ 10 // 4 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 7.5 // 2 }}|{{ -7.5 % 2 }}",
    "{{ 1 + 2 * 3 - 4 }}|{{ (1 + 2) * 3 }}|{{ 'ab' * 3 }}|{{ [1] * 3 }}|{{ [1, 2] + [3] }}|{{ 'a' ~ 1 ~ none ~ undefined_thing }}",
    "{{ 1 == 1.0 }}|{{ true == 1 }}|{{ [1] == [1.0] }}|{{ {'a': 1} == {'a': 1} }}|{{ 'a' < 'b' }}|{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}",
    "{{ 'b' in 'abc' }}|{{ 2 in [1, 2] }}|{{ 'k' in {'k': 1} }}|{{ 'z' not in 'abc' }}|{{ not 1 in [1] }}",
    "{{ 1 if true else 2 }}|{{ 1 if false else 2 }}|{{ (1 if false) is defined }}|{{ x or 'dflt' }}|{{ 0 and 1 }}|{{ 2 and 3 }}",
    // strings
    "{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nhi\\n'.lstrip('\\n') }}|{{ 'hi  '.rstrip() }}|{{ 'abc'.rstrip('c') }}",
    "{{ 'a b  c'.split() }}|{{ 'a,b,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a<b>c'.split('<b>')[-1] }}|{{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'hello'.replace('l', 'L') }}|{{ 'hello'.replace('l', 'L', 1) }}",
    "{{ 'x={} y={}'.format(1, 'b') }}|{{ '{0}{1}{0}'.format('a', 'b') }}|{{ '{name}!'.format(name='n') }}|{{ '%s=%d' % ('a', 3) }}|{{ '%.2f' % 3.14159 }}",
    "{{ 'hELLo wOrld'.upper() }}|{{ 'hELLo'.lower() }}|{{ 'hello world-x'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'abcabc'.find('c') }}|{{ 'abcabc'.count('bc') }}",
    "{{ '-'.join(['a', 'b']) }}|{{ 'abcdef'[1:3] }}|{{ 'abcdef'[::-1] }}|{{ 'abcdef'[-2:] }}|{{ 'héllo'[1] }}|{{ 'héllo'|length }}|{{ [1,2,3,4,5][::2] }}|{{ [1,2,3][:-1] }}",
    // filters
    "{{ '  x  '|trim }}|{{ 'xxyxx'|trim('x') }}|{{ 'Hello World'|lower }}|{{ 'hello'|upper }}|{{ 'hELLO wORLD'|capitalize }}|{{ 'hello big-world (x)'|title }}",
    "{{ [3, 1, 2]|sort }}|{{ [3, 1, 2]|sort(reverse=true) }}|{{ ['b', 'A', 'c']|sort }}|{{ ['b', 'A', 'c']|sort(case_sensitive=true) }}",
    "{{ [{'n': 2}, {'n': 1}]|sort(attribute='n') }}|{{ {'b': 1, 'a': 2}|dictsort }}|{{ {'b': 1, 'a': 2}|dictsort(by='value') }}",
    "{{ [1, 2, 3]|first }}|{{ [1, 2, 3]|last }}|{{ [1, 2, 3]|length }}|{{ 'abc'|count }}|{{ [1, 2, 3]|sum }}|{{ [1, 5, 3]|max }}|{{ [4, 2, 8]|min }}",
    "{{ [1, 2, 2, 3, 1]|unique|list }}|{{ ['a', 'A', 'b']|unique|list }}|{{ [1, 2, 3]|reverse|list }}|{{ 'abc'|reverse }}|{{ 'abc'|list }}",
    "{{ undefined_var|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ none|d('x', boolean=true) }}|{{ 0|default(5) }}",
    "{{ {'a': 1, 'b': [1, 2]}|items|list }}|{{ [1, 2, 3]|join(', ') }}|{{ [{'n': 'x'}, {'n': 'y'}]|join('/', attribute='n') }}",
    "{{ [{'r': 'u', 'c': 1}, {'r': 'a', 'c': 2}, {'r': 'u', 'c': 3}]|selectattr('r', 'equalto', 'u')|map(attribute='c')|list }}",
    "{{ [{'r': 'u'}, {'r': 'a'}]|rejectattr('r', 'eq', 'u')|list }}|{{ [1, 2, 3, 4]|select('odd')|list }}|{{ [1, 2, 3, 4]|reject('even')|list }}",
    "{{ [0, 1, '', 'a', none]|select|list }}|{{ ['a', 'b']|map('upper')|list }}|{{ [{'x': 1}, {}]|map(attribute='x', default=0)|list }}",
    "{{ [1, 2, 3]|selectattr('real') is defined }}|{{ [1, 2, 3, 4, 5]|batch(2)|list }}|{{ [1, 2, 3]|batch(2, 0)|list }}",
    "{{ 'line1\\nline2\\n\\nline4'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(width=3, blank=true) }}",
    "{{ 42|string }}|{{ '42'|int }}|{{ '4.7'|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ 4.7|int }}|{{ '3.5'|float }}|{{ 3|float }}|{{ -3|abs }}|{{ -2.5|abs }}",
    "{{ 2.5|round }}|{{ 3.5|round }}|{{ 1.25|round(1) }}|{{ 2.675|round(2) }}|{{ 5|round }}|{{ 1.5|round(0, 'floor') }}|{{ 1.1|round(method='ceil') }}",
    "{{ 'hi'|center(10) }}|{{ 'one two  three'|wordcount }}|{{ '<b>bold</b>  text'|striptags }}|{{ '<a href=\"x\">&'|e }}|{{ 'x'|safe }}",
    "{{ 'hello world foo bar'|truncate(9) }}|{{ 'hello world foo bar'|truncate(9, true) }}|{{ '%s-%s'|format(1, 2) }}",
    "{{ [{'g': 'a', 'v': 1}, {'g': 'b', 'v': 2}, {'g': 'a', 'v': 3}]|groupby('g') }}",
    "{{ {'b': 1, 'a': [1, 2.5, none, true, 'é\\n\"']}|tojson }}|{{ {'b': {'c': []}, 'a': {}}|tojson(indent=2) }}",
    "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}|{{ [1, 'x']|tojson(separators=(',', ':')) }}|{{ 'ü'|tojson(ensure_ascii=true) }}|{{ '\\x01\\u2028'|tojson }}",
    // tests
    "{{ x is defined }}|{{ x is undefined }}|{{ none is none }}|{{ 1 is number }}|{{ true is number }}|{{ true is integer }}|{{ 1.0 is float }}",
    "{{ 'a' is string }}|{{ {} is mapping }}|{{ [] is sequence }}|{{ 'a' is sequence }}|{{ 1 is iterable }}|{{ x is iterable }}|{{ true is boolean }}",
    "{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ 3 is odd }}|{{ 4 is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}",
    "{{ 1 is eq 1 }}|{{ 1 is ne 2 }}|{{ 1 is lt 2 }}|{{ 2 is gt 1 }}|{{ 'a' is in 'abc' }}|{{ 1 is in [2] }}|{{ range is callable }}|{{ 'AB' is upper }}|{{ 'ab' is lower }}",
    "{{ none is not none }}|{{ x is not defined }}|{{ 1 is sameas 1 }}|{{ none is sameas none }}|{{ 'upper' is filter }}|{{ 'odd' is test }}",
    // statements
    "{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %}",
    "{% for x in [1, 2, 3] %}{{ loop.previtem }}/{{ loop.nextitem }}/{{ loop.cycle('a', 'b') }};{% endfor %}",
    "{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.length }}{% endfor %}",
    "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in {'z': 1, 'y': 2} %}{{ k }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}",
    "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}|{{ range(1, 10, 3)|list }}|{{ range(5, 0, -2)|list }}",
    "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }},{% endfor %}{{ loop.index }};{% endfor %}",
    "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}|{% if true %}{% set y = 3 %}{% endif %}{{ y }}",
    "{% set ns = namespace(a=1, b='x') %}{% for i in [1, 2, 3] %}{% set ns.a = ns.a + i %}{% endfor %}{{ ns.a }}{{ ns.b }}{{ ns.missing is defined }}",
    "{% set ns = namespace() %}{% set ns.v = [1] %}{{ ns.v }}|{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = (3, 4) %}{% set c, d = t %}{{ d }}{{ c }}",
    "{% set block %}inner {{ 1 + 1 }}{% endset %}[{{ block }}]|{% set up | upper %}shout{% endset %}{{ up }}",
    "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Z') }}",
    "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}|{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}body{% endcall %}",
    "{% macro row(x) %}[{{ caller(x * 2) }}]{% endmacro %}{% call(v) row(4) %}v={{ v }}{% endcall %}|{% filter upper %}up {{ 'here' }}{% endfilter %}",
    "{% raw %}{{ not rendered }} {% if %}{% endraw %}|{# comment #}after|{{ 'a' }}{# c #}{{ 'b' }}",
    "{{ dict(a=1, b=2) }}|{{ dict(a=1)['a'] }}|{{ {'a': 1}.get('a') }}|{{ {'a': 1}.get('z', 'dflt') }}|{{ {'a': 1}.keys()|list }}|{{ {'a': 1}.values()|list }}",
    "{{ [1, 2, 3].index(2) }}|{{ [1, 1, 2].count(1) }}|{{ {'a': {'b': [10, 20]}}.a.b.1 }}|{{ {'a': {'b': [10, 20]}}['a']['b'][-1] }}",
    // whitespace control
    "a  {%- if true -%}  b  {%- endif -%}  c|{{- ' x ' -}}|  {{ 'y' }}  ",
    "line1\n    {% if true %}\n    indented\n    {% endif %}\nline2\n  {# comment #}\nend",
    "  {%+ if true %}kept{% endif %}\n{% for i in [1, 2] %}\n  item{{ i }}\n{% endfor %}\nx {% if true %}\ny{% endif +%}\nz",
    "{% for i in [1,2] -%}\n   {{ i }}\n{%- endfor %}\n\n{{ 'end' }}\n",
    "text\r\nwith\rbreaks\n",
    // errors that must match (both fail)
    "{{ raise_exception('custom failure') }}",
    "{{ undefined_var.attr }}",
    "{{ 'a' + 1 }}",
    "{{ 1 / 0 }}",
    "{{ [1].append(2) }}",
    "{{ undefined_fn() }}",
    "{% for x in 5 %}{% endfor %}",
    "{{ none.attr }}|{{ none.attr is defined }}",
    "{{ {'a': 1}.missing }}|{{ [1][5] }}|{{ 'x'.nope }}",
    "{{ x|length }}|{{ x|list }}|{{ x|first is defined }}|{% for y in x %}never{% endfor %}|{{ x|join(',') }}|{{ x|string }}",
};

TEST(ChatFeatures, MatchPythonJinja2) {
  if (!python_jinja_available()) GTEST_SKIP() << "python3 with jinja2 not available";
  std::vector<Case> cases;
  for (const char* s : kSnippets) {
    Case c;
    c.label = s;
    c.source = s;
    c.context = ojson::object();
    cases.push_back(std::move(c));
  }
  int rendered = compare_all(cases);
  EXPECT_GE(rendered, 60);
}

}  // namespace
}  // namespace minnow::chat::testing
