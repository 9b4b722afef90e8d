// YAML text to a JSON document, keeping YAML's scalar typing: plain scalars become numbers,
// booleans or null where they look like one; quoted scalars stay strings.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace loadlab::load {

// Errors carry the position: "line 3, column 5: ..."; duplicate keys are errors.
core::Expected<nlohmann::json, std::string> yaml_to_json(std::string_view text);

}  // namespace loadlab::load
