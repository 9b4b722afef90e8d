// Compiling `${...}` placeholders into parts once, and rendering them per request.
#include "load/template.hpp"

#include <charconv>
#include <cstdio>

namespace loadlab::load {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  text = trim(text);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

void append_uuid(Random& random, std::string& out) {
  std::uint64_t high = random.next();
  std::uint64_t low = random.next();
  high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;    // variant 10
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                static_cast<unsigned>(high & 0xFFFF), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  out += buffer;
}

}  // namespace

core::Expected<Template, std::string> Template::compile(std::string_view source,
                                                        const EnvLookup& env) {
  Template result;
  result.source_ = std::string(source);
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    result.parts_.push_back(Part{PartKind::literal, std::move(literal), 0, 0});
    literal.clear();
  };

  std::size_t i = 0;
  while (i < source.size()) {
    const char c = source[i];
    if (c != '$') {
      literal += c;
      ++i;
      continue;
    }
    if (i + 1 < source.size() && source[i + 1] == '$') {
      literal += '$';
      i += 2;
      continue;
    }
    if (i + 1 >= source.size() || source[i + 1] != '{') {
      literal += c;
      ++i;
      continue;
    }
    const std::size_t close = source.find('}', i + 2);
    if (close == std::string_view::npos) {
      return core::unexpected(std::string("unterminated '${' at offset ") + std::to_string(i));
    }
    const std::string_view inner = trim(source.substr(i + 2, close - i - 2));
    const std::string placeholder(source.substr(i, close - i + 1));
    i = close + 1;

    if (inner.starts_with("__ENV.")) {
      std::string_view name = inner.substr(6);
      std::optional<std::string> fallback;
      if (const auto dash = name.find(":-"); dash != std::string_view::npos) {
        fallback = std::string(name.substr(dash + 2));
        name = name.substr(0, dash);
      }
      if (name.empty())
        return core::unexpected("empty environment variable name in '" + placeholder + "'");
      std::optional<std::string> value = env ? env(name) : std::nullopt;
      if (!value) value = fallback;
      if (!value) {
        return core::unexpected(
            "environment variable '" + std::string(name) + "' is not set (in '" + placeholder +
            "'; give a default with ${__ENV." + std::string(name) + ":-value})");
      }
      literal += *value;
      continue;
    }

    Part part;
    if (inner == "seq") {
      part.kind = PartKind::seq;
    } else if (inner == "uuid") {
      part.kind = PartKind::uuid;
    } else if (inner == "vu" || inner == "__VU") {
      part.kind = PartKind::vu;
    } else if (inner == "iter" || inner == "__ITER") {
      part.kind = PartKind::iter;
    } else if (inner.starts_with("randInt(") && inner.ends_with(")")) {
      const std::string_view args = inner.substr(8, inner.size() - 9);
      const auto comma = args.find(',');
      if (comma == std::string_view::npos || !parse_int(args.substr(0, comma), part.low) ||
          !parse_int(args.substr(comma + 1), part.high) || part.low > part.high) {
        return core::unexpected(
            "'" + placeholder +
            "': randInt needs two integers low <= high, e.g. ${randInt(25,34)}");
      }
      part.kind = PartKind::rand_int;
    } else {
      return core::unexpected("unknown placeholder '" + placeholder +
                              "' (known: randInt(a,b), seq, uuid, vu, iter, __ENV.NAME)");
    }
    flush_literal();
    result.parts_.push_back(std::move(part));
    result.constant_ = false;
  }
  flush_literal();
  return result;
}

Template Template::literal(std::string text) {
  Template result;
  result.source_ = text;
  // Keep the source printable as a template: a literal `$` is written `$$`.
  std::string escaped;
  for (char c : result.source_) {
    if (c == '$') escaped += '$';
    escaped += c;
  }
  result.source_ = std::move(escaped);
  if (!text.empty()) result.parts_.push_back(Part{PartKind::literal, std::move(text), 0, 0});
  return result;
}

void Template::render_to(TemplateContext& context, std::string& out) const {
  for (const auto& part : parts_) {
    switch (part.kind) {
      case PartKind::literal:
        out += part.text;
        break;
      case PartKind::rand_int:
        out += std::to_string(context.random.uniform_int(part.low, part.high));
        break;
      case PartKind::seq:
        out += std::to_string(context.sequence);
        break;
      case PartKind::uuid:
        append_uuid(context.random, out);
        break;
      case PartKind::vu:
        out += std::to_string(context.vu);
        break;
      case PartKind::iter:
        out += std::to_string(context.iteration);
        break;
    }
  }
}

std::string Template::render(TemplateContext& context) const {
  std::string out;
  render_to(context, out);
  return out;
}

}  // namespace loadlab::load
