// The lab's experiments 1-9 (SPEC §5): target variants, scenario file and expectations each.
#pragma once

#include <string>
#include <vector>

#include "lab/experiment.hpp"

namespace loadlab::lab {

std::vector<Experiment> experiment_catalog();

}  // namespace loadlab::lab
