// The lab's report: the findings tables (per experiment and variant: offered load, throughput,
// goodput, latency, errors, restarts, peak CPU/RSS, protection events; every expectation with its
// verdict and evidence) and per experiment the variants' charts side by side.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/expected.hpp"
#include "lab/lab_result.hpp"
#include "report/html_report.hpp"

namespace loadlab::lab {

report::Table findings_table(const LabResult& result);
report::Table expectations_table(const LabResult& result);
report::ReportDocument lab_document(const LabResult& result);

// For `loadlab report lab.json`.
core::Expected<report::ReportDocument, std::string> document_from_lab_result(
    const nlohmann::json& json);

}  // namespace loadlab::lab
