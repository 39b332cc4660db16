// Pattern definitions as lines (cep/pattern_definition_json.hpp): the JSON form and the line
// form, defaults, removal, and errors with their column.
#include <catch2/catch.hpp>

#include <string>

#include "eddy/cep/pattern_definition_json.hpp"

using eddy::cep::malformed_definition;
using eddy::cep::parse_definition;
using eddy::cep::pattern_definition;

namespace {

/// The message of the error parsing `line` ("" if it parses).
std::string error_of(const std::string& line) {
  try {
    (void)parse_definition(line);
  } catch (const malformed_definition& e) {
    return e.what();
  }
  return {};
}

/// `text` with every ' turned into " (JSON written without escapes).
std::string js(std::string text) {
  for (auto& c : text)
    if (c == '\'') c = '"';
  return text;
}

}  // namespace

TEST_CASE("a JSON pattern definition gives id, version and text", "[cep][json]") {
  auto d = parse_definition(js("{'id': 'big', 'version': 4, 'pattern': 'a(amount > 5)'}"));
  CHECK(d.id == "big");
  CHECK(d.version == 4);
  CHECK(d.text == "a(amount > 5)");
  auto dv = parse_definition(js("  {'pattern': 'a(x > 1)', 'id': 'p-1'}"), 17);
  CHECK(dv.version == 17);  // no version: the default
  CHECK(dv.text == "a(x > 1)");
  auto q = parse_definition("{\"id\": \"q\", \"pattern\": \"a(x = 'b')\"}");
  CHECK(q.text == "a(x = 'b')");
}

TEST_CASE("a JSON definition without a pattern, with an empty one or with remove removes",
          "[cep][json]") {
  CHECK(parse_definition(js("{'id': 'a', 'version': 2}")).text.empty());
  CHECK(parse_definition(js("{'id': 'a', 'pattern': ''}")).text.empty());
  CHECK(parse_definition(js("{'id': 'a', 'pattern': null}")).text.empty());
  CHECK(parse_definition(js("{'id': 'a', 'remove': true}")).text.empty());
  CHECK(parse_definition(js("{'id': 'a', 'remove': false, 'pattern': 'x(a = 1)'}")).text ==
        "x(a = 1)");
}

TEST_CASE("the line form: ID: TEXT and ID@VERSION: TEXT, an empty text removes", "[cep][json]") {
  auto d = parse_definition("small_large@3: small(amount < 1.00) followed_by large(amount > 5) ");
  CHECK(d.id == "small_large");
  CHECK(d.version == 3);
  CHECK(d.text == "small(amount < 1.00) followed_by large(amount > 5)");
  auto dv = parse_definition("  p1 : a(x = 'b:c')", 9);
  CHECK(dv.id == "p1");
  CHECK(dv.version == 9);
  CHECK(dv.text == "a(x = 'b:c')");
  auto r = parse_definition("p1@10:");
  CHECK(r.id == "p1");
  CHECK(r.version == 10);
  CHECK(r.text.empty());
}

TEST_CASE("a definition that does not parse names the problem and its column", "[cep][json]") {
  CHECK(error_of(js("{'id': 'a', 'patern': 'x(a = 1)'}")) ==
        "pattern definition, column 13: unknown key 'patern' (keys: id, version, pattern, remove)");
  CHECK(error_of(js("{'id': 'a', 'version': '2'}")) ==
        "pattern definition, column 13: \"version\" must be a whole number, 0 or more");
  CHECK(error_of(js("{'id': 'a', 'version': -1}")).find("column 13") != std::string::npos);
  CHECK(error_of(js("{'version': 1}")) == "pattern definition, column 1: no \"id\"");
  CHECK(error_of(js("{'id': ''}")) == "pattern definition, column 2: the pattern id is empty");
  CHECK(error_of(js("{'id': 'a b'}")) ==
        "pattern definition, column 2: the pattern id 'a b' has a character an id cannot have "
        "(' ')");
  CHECK(error_of(js("{'id': 'a', 'remove': true, 'pattern': 'x(a = 1)'}")) ==
        "pattern definition, column 13: \"remove\": true with a pattern (remove it, or give a "
        "pattern)");
  const auto bad_json = error_of(js("{'id': 'a', 'version': 1,}"));
  CHECK(bad_json.find("pattern definition, column 26: not valid JSON: ") == 0);
  CHECK(error_of("[1, 2]").find("expected 'ID: PATTERN'") != std::string::npos);  // line form
  CHECK(error_of("no colon here") ==
        "pattern definition, column 1: expected 'ID: PATTERN', 'ID@VERSION: PATTERN' or a JSON "
        "object");
  CHECK(error_of("p@x1: a(b = 1)") ==
        "pattern definition, column 3: the version 'x1' is not a whole number (ID@VERSION: "
        "PATTERN)");
  CHECK(error_of(": a(b = 1)") == "pattern definition, column 1: the pattern id is empty");
}

TEST_CASE("to_json writes a definition that parses back the same", "[cep][json]") {
  const pattern_definition ok{"p1", 12, "a(x = 'y') followed_by b(z > 1.5)"};
  const auto back = parse_definition(eddy::cep::to_json(ok));
  CHECK(back.id == ok.id);
  CHECK(back.version == ok.version);
  CHECK(back.text == ok.text);
  const auto removed = parse_definition(eddy::cep::to_json(pattern_definition{"p1", 13, ""}));
  CHECK(removed.version == 13);
  CHECK(removed.text.empty());
}
