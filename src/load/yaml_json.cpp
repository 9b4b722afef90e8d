// Converting yaml-cpp nodes into nlohmann::json values.
#include "load/yaml_json.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace loadlab::load {

namespace {

class ConversionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string position(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
         ": ";
}

nlohmann::json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  std::int64_t integer = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, integer); ec == std::errc{} && ptr == end) {
    return integer;
  }
  double number = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, number); ec == std::errc{} && ptr == end) {
    return number;
  }
  return text;
}

// budget bounds the output size: YAML aliases can otherwise expand a small file enormously.
nlohmann::json convert(const YAML::Node& node, int depth, std::size_t& budget) {
  if (depth > 64) throw ConversionError(position(node) + "nesting deeper than 64 levels");
  if (budget == 0)
    throw ConversionError(position(node) + "document too large (more than 100000 values)");
  --budget;
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : node) array.push_back(convert(item, depth + 1, budget));
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar())
          throw ConversionError(position(entry.first) + "keys must be scalars");
        const std::string key = entry.first.Scalar();
        if (object.contains(key))
          throw ConversionError(position(entry.first) + "duplicate key '" + key + "'");
        object[key] = convert(entry.second, depth + 1, budget);
      }
      return object;
    }
  }
  return nullptr;
}

// Counts a document's nodes and keeps where the first one is.
class DocumentProbe final : public YAML::EventHandler {
 public:
  [[nodiscard]] bool empty() const noexcept { return nodes_ == 0; }
  [[nodiscard]] const YAML::Mark& first() const noexcept { return first_; }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (nodes_++ == 0) first_ = mark;
  }
  std::size_t nodes_ = 0;
  YAML::Mark first_ = YAML::Mark::null_mark();
};

// A plan is one document: a second one after '---' (two plans pasted together) used to be
// dropped without a word. Where one starts, if any; empty documents (a trailing '---') do not
// count. At most kMaxDocuments are looked at: on some malformed input yaml-cpp reports empty
// documents without end (YAML::LoadAll never returns there; the fuzzer found one in 10 bytes).
std::optional<YAML::Mark> second_document(std::string_view text) {
  constexpr int kMaxDocuments = 64;
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  bool seen_one = false;
  for (int document = 0; document < kMaxDocuments; ++document) {
    DocumentProbe probe;
    const bool more = parser.HandleNextDocument(probe);
    if (!probe.empty()) {
      if (seen_one) return probe.first();
      seen_one = true;
    }
    if (!more) break;
  }
  return std::nullopt;
}

}  // namespace

core::Expected<nlohmann::json, std::string> yaml_to_json(std::string_view text) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (const auto second = second_document(text)) {
      throw ConversionError("line " + std::to_string(second->line + 1) + ", column " +
                            std::to_string(second->column + 1) +
                            ": a second YAML document ('---'): a plan is one document");
    }
    std::size_t budget = 100000;
    return convert(root, 0, budget);
  } catch (const YAML::Exception& e) {
    std::string hint;
    // yaml-cpp rejects a '?' inside a plain scalar of a flow mapping ({ url: /a?b=1 }).
    if (e.mark.pos >= 0 && static_cast<std::size_t>(e.mark.pos) < text.size() &&
        text[static_cast<std::size_t>(e.mark.pos)] == '?') {
      hint = " (quote values containing '?' inside { } or [ ], e.g. url: '/a?b=1')";
    }
    return core::unexpected("line " + std::to_string(e.mark.line + 1) + ", column " +
                            std::to_string(e.mark.column + 1) + ": " + e.msg + hint);
  } catch (const ConversionError& e) {
    return core::unexpected(std::string(e.what()));
  }
}

}  // namespace loadlab::load
