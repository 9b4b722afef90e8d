// The serve settings table and the layering of defaults, YAML, environment and flags.
#include "cli/serve_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/ip/address_v6.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "core/duration.hpp"
#include "http/client.hpp"
#include "target/faults.hpp"

namespace loadlab::cli {
namespace {

using target::ServiceConfig;
using Apply = std::function<void(ServiceConfig&, const std::string&)>;
using Show = std::function<std::string(const ServiceConfig&)>;

struct Setting {
  std::string name;  // flag --name, env LOADLAB_NAME, YAML key name (or name_with_underscores)
  std::string help;
  Apply apply;
  Show show;
};

[[noreturn]] void invalid(const std::string& name, const std::string& text,
                          const std::string& rule) {
  throw ConfigError("invalid " + name + " '" + text + "': " + rule);
}

std::optional<long long> integer_in(std::string_view text, long long min, long long max) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

long long integer(const std::string& name, const std::string& text, long long min, long long max) {
  const std::optional<long long> value = integer_in(text, min, max);
  if (!value) {
    invalid(name, text,
            "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return *value;
}

double number(const std::string& name, const std::string& text, double min, double max) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
      !(value >= min && value <= max)) {
    invalid(name, text, fmt::format("must be a number between {} and {}", min, max));
  }
  return value;
}

bool boolean(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  invalid(name, text, "must be true or false");
}

std::string show_number(double value) {
  return fmt::format("{}", value);
}

std::chrono::milliseconds milliseconds(const std::string& name, const std::string& text,
                                       std::chrono::milliseconds min) {
  const auto parsed = core::parse_duration(text);
  if (!parsed) invalid(name, text, parsed.error());
  const auto value = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  if (value < min) invalid(name, text, "must be at least " + core::format_duration(min));
  return value;
}

std::size_t bytes(const std::string& name, const std::string& text) {
  static const std::vector<std::pair<std::string, std::size_t>> units = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  std::string_view number = text;
  std::size_t factor = 1;
  for (const auto& [suffix, unit] : units) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      number.remove_suffix(suffix.size());
      factor = unit;
      break;
    }
  }
  // The message quotes the whole value given, not the number left after its unit.
  const auto value = integer_in(number, 1, (1ll << 50) / static_cast<long long>(factor));
  if (!value) {
    invalid(name, text,
            "must be a whole number of bytes from 1 to 2^50, or with B, KiB, MiB or GiB");
  }
  return static_cast<std::size_t>(*value) * factor;
}

std::string show_ms(std::chrono::milliseconds value) {
  return core::format_duration(value);
}

std::string one_of(const std::string& name, const std::string& text,
                   std::initializer_list<const char*> choices) {
  std::string joined;
  for (const char* choice : choices) {
    if (text == choice) return text;
    joined += joined.empty() ? choice : std::string("|") + choice;
  }
  invalid(name, text, "must be one of " + joined);
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"role", "target | downstream",
       [](ServiceConfig& c, const std::string& v) {
         c.role = one_of("role", v, {"target", "downstream"}) == "target"
                      ? target::Role::target
                      : target::Role::downstream;
       },
       [](const ServiceConfig& c) {
         return std::string(c.role == target::Role::target ? "target" : "downstream");
       }},
      {"listen", "HOST:PORT (port 0: any free port; default 127.0.0.1:8000, downstream :8001)",
       [](ServiceConfig& c, const std::string& v) {
         c.listen = v;
         (void)server_options_from(c);  // validates now, with the setting's name
       },
       [](const ServiceConfig& c) { return c.listen; }},
      {"threads", "I/O threads (0: the CPU count the process may use)",
       [](ServiceConfig& c, const std::string& v) {
         c.io_threads = static_cast<int>(integer("threads", v, 0, 1024));
       },
       [](const ServiceConfig& c) { return std::to_string(c.io_threads); }},
      {"model", "async | threaded",
       [](ServiceConfig& c, const std::string& v) {
         c.model = one_of("model", v, {"async", "threaded"}) == "async"
                       ? target::ExecutionModel::async
                       : target::ExecutionModel::threaded;
       },
       [](const ServiceConfig& c) {
         return std::string(c.model == target::ExecutionModel::async ? "async" : "threaded");
       }},
      {"io-backend", "auto | epoll | io_uring: how I/O threads receive (auto: io_uring if allowed)",
       [](ServiceConfig& c, const std::string& v) {
         one_of("io-backend", v, {"auto", "epoll", "io_uring"});
         if (v == "io_uring" && !http::io_uring_available()) {
           invalid("io-backend", v, "this kernel or container does not allow io_uring");
         }
         c.io_backend = v;
       },
       [](const ServiceConfig& c) { return c.io_backend; }},
      {"workers", "worker threads of the threaded model",
       [](ServiceConfig& c, const std::string& v) {
         c.workers = static_cast<int>(integer("workers", v, 1, 10'000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.workers); }},
      {"downstream", "base URL of the dependency (the downstream role)",
       [](ServiceConfig& c, const std::string& v) {
         if (!v.starts_with("http://")) invalid("downstream", v, "must start with http://");
         // Checked here rather than when the service starts, so every bad URL gets the same
         // one-line message and exit status.
         if (auto origin = http::Origin::parse(v); !origin)
           invalid("downstream", v, origin.error());
         c.downstream_url = v;
       },
       [](const ServiceConfig& c) { return c.downstream_url; }},
      {"db", "sqlite:PATH | sqlite::memory: | postgresql://...",
       [](ServiceConfig& c, const std::string& v) {
         if (!v.starts_with("sqlite:") && !v.starts_with("postgresql://") &&
             !v.starts_with("postgres://")) {
           invalid("db", v, "must start with sqlite: or postgresql://");
         }
         c.db_url = v;
       },
       [](const ServiceConfig& c) { return c.db_url; }},
      {"db-pool-size", "pooled database connections",
       [](ServiceConfig& c, const std::string& v) {
         c.db_pool_size = static_cast<int>(integer("db-pool-size", v, 1, 1000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.db_pool_size); }},
      {"db-pool-overflow", "extra connections beyond the pool size",
       [](ServiceConfig& c, const std::string& v) {
         c.db_pool_overflow = static_cast<int>(integer("db-pool-overflow", v, 0, 1000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.db_pool_overflow); }},
      {"protect", "naked | protected | comma-separated protections",
       [](ServiceConfig& c, const std::string& v) {
         if (v.empty()) invalid("protect", v, "must not be empty");
         c.protect = v;
       },
       [](const ServiceConfig& c) { return c.protect; }},
      {"max-header-bytes", "largest request head (431 above)",
       [](ServiceConfig& c, const std::string& v) {
         c.limits.max_header_bytes = bytes("max-header-bytes", v);
       },
       [](const ServiceConfig& c) { return std::to_string(c.limits.max_header_bytes); }},
      {"max-body-bytes", "largest request body (413 above)",
       [](ServiceConfig& c, const std::string& v) {
         c.limits.max_body_bytes = bytes("max-body-bytes", v);
       },
       [](const ServiceConfig& c) { return std::to_string(c.limits.max_body_bytes); }},
      {"header-timeout", "time allowed to send a request head (slowloris guard)",
       [](ServiceConfig& c, const std::string& v) {
         c.limits.header_read_timeout =
             milliseconds("header-timeout", v, std::chrono::milliseconds(1));
       },
       [](const ServiceConfig& c) { return show_ms(c.limits.header_read_timeout); }},
      {"idle-timeout", "keep-alive idle time before a connection is closed",
       [](ServiceConfig& c, const std::string& v) {
         c.limits.idle_timeout = milliseconds("idle-timeout", v, std::chrono::milliseconds(1));
       },
       [](const ServiceConfig& c) { return show_ms(c.limits.idle_timeout); }},
      {"max-connections", "open connections; more get 503 and are closed",
       [](ServiceConfig& c, const std::string& v) {
         c.limits.max_connections =
             static_cast<std::size_t>(integer("max-connections", v, 1, 10'000'000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.limits.max_connections); }},
      {"drain-timeout", "longest graceful drain after SIGTERM/SIGINT",
       [](ServiceConfig& c, const std::string& v) {
         c.drain_timeout = milliseconds("drain-timeout", v, std::chrono::milliseconds(1));
       },
       [](const ServiceConfig& c) { return show_ms(c.drain_timeout); }},
      {"drain-grace", "time between failing readiness and refusing new connections",
       [](ServiceConfig& c, const std::string& v) {
         c.drain_grace = milliseconds("drain-grace", v, std::chrono::milliseconds(0));
       },
       [](const ServiceConfig& c) { return show_ms(c.drain_grace); }},
      {"expensive-op-concurrency", "/expensive-op workers (the seed's CONCURRENCY)",
       [](ServiceConfig& c, const std::string& v) {
         c.expensive_op_concurrency =
             static_cast<int>(integer("expensive-op-concurrency", v, 1, 1000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.expensive_op_concurrency); }},
      {"expensive-op-duration", "length of one /expensive-op task",
       [](ServiceConfig& c, const std::string& v) {
         c.expensive_op_duration =
             milliseconds("expensive-op-duration", v, std::chrono::milliseconds(0));
       },
       [](const ServiceConfig& c) { return show_ms(c.expensive_op_duration); }},
      {"compute-threads", "threads for CPU-heavy routes (0: the CPU count)",
       [](ServiceConfig& c, const std::string& v) {
         c.compute_threads = static_cast<int>(integer("compute-threads", v, 0, 1024));
       },
       [](const ServiceConfig& c) { return std::to_string(c.compute_threads); }},
      {"memory-limit", "memory budget for admission (bytes, or with KiB/MiB/GiB)",
       [](ServiceConfig& c, const std::string& v) {
         c.memory_limit_bytes = bytes("memory-limit", v);
       },
       [](const ServiceConfig& c) { return std::to_string(c.memory_limit_bytes); }},
      {"downstream-max-connections", "keep-alive connections per downstream host",
       [](ServiceConfig& c, const std::string& v) {
         c.downstream_max_connections =
             static_cast<int>(integer("downstream-max-connections", v, 1, 100'000));
       },
       [](const ServiceConfig& c) { return std::to_string(c.downstream_max_connections); }},
      {"random-seed", "seed of the routes' randomness (0: random)",
       [](ServiceConfig& c, const std::string& v) {
         c.random_seed = static_cast<std::uint64_t>(integer("random-seed", v, 0, 1ll << 62));
       },
       [](const ServiceConfig& c) { return std::to_string(c.random_seed); }},
      {"fault-latency-ms", "downstream role: latency added to every answer",
       [](ServiceConfig& c, const std::string& v) {
         c.faults.latency_ms = number("fault-latency-ms", v, 0, target::max_fault_latency_ms);
       },
       [](const ServiceConfig& c) { return show_number(c.faults.latency_ms); }},
      {"fault-jitter-ms", "downstream role: latency varies by up to this much",
       [](ServiceConfig& c, const std::string& v) {
         c.faults.jitter_ms = number("fault-jitter-ms", v, 0, target::max_fault_latency_ms);
       },
       [](const ServiceConfig& c) { return show_number(c.faults.jitter_ms); }},
      {"fault-error-rate", "downstream role: probability of a 503",
       [](ServiceConfig& c, const std::string& v) {
         c.faults.error_rate = number("fault-error-rate", v, 0, 1);
       },
       [](const ServiceConfig& c) { return show_number(c.faults.error_rate); }},
      {"fault-blackhole", "downstream role: accept requests, never answer (true|false)",
       [](ServiceConfig& c, const std::string& v) {
         c.faults.blackhole = boolean("fault-blackhole", v);
       },
       [](const ServiceConfig& c) { return std::string(c.faults.blackhole ? "true" : "false"); }},
      {"fault-reset-rate", "downstream role: probability of resetting the connection",
       [](ServiceConfig& c, const std::string& v) {
         c.faults.reset_rate = number("fault-reset-rate", v, 0, 1);
       },
       [](const ServiceConfig& c) { return show_number(c.faults.reset_rate); }},
      {"admin-token", "bearer token for /admin/ when not bound to loopback",
       [](ServiceConfig& c, const std::string& v) { c.admin_token = v; },
       [](const ServiceConfig& c) {
         return c.admin_token.empty() ? std::string("\"\"") : std::string("<set>");
       }},
  };
  return table;
}

std::string env_name(const std::string& setting) {
  std::string out = "LOADLAB_";
  for (const char c : setting) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

const Setting* find_setting(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  for (const Setting& setting : settings()) {
    if (setting.name == key) return &setting;
  }
  return nullptr;
}

void apply_yaml(ServiceConfig& config, const std::string& path, bool& listen_set) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& error) {
    throw ConfigError("cannot read config file " + path + ": " + error.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError("config file " + path + ": expected a mapping of settings");
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const Setting* setting = find_setting(key);
    if (setting == nullptr)
      throw ConfigError("config file " + path + ": unknown setting '" + key + "'");
    if (!item.second.IsScalar()) {
      throw ConfigError("config file " + path + ": setting '" + key + "' must be a single value");
    }
    setting->apply(config, item.second.Scalar());
    if (setting->name == "listen") listen_set = true;
  }
}

}  // namespace

void declare_serve_flags(CLI::App& command, ServeCommandLine& line) {
  for (const Setting& setting : settings()) line.values[setting.name];  // stable storage first
  for (const Setting& setting : settings()) {
    CLI::Option* option =
        command.add_option("--" + setting.name, line.values[setting.name], setting.help);
    option->envname(env_name(setting.name));
    line.options[setting.name] = option;
  }
  command.add_option("--config", line.config_file, "YAML file of settings (keys as the flags)")
      ->envname("LOADLAB_CONFIG");
  command.add_flag("--print-config", line.print_config,
                   "print the effective configuration as YAML and exit");
}

target::ServiceConfig resolve_serve_config(const ServeCommandLine& line) {
  ServiceConfig config;
  bool listen_set = false;
  if (!line.config_file.empty()) apply_yaml(config, line.config_file, listen_set);

  const CLI::Option* concurrency = line.options.at("expensive-op-concurrency");
  if (concurrency->count() == 0) {
    if (const char* seed_value = std::getenv("CONCURRENCY"); seed_value != nullptr) {
      find_setting("expensive-op-concurrency")->apply(config, seed_value);
    }
  }
  // Role first: it decides the default listen address.
  for (const char* first : {"role"}) {
    if (line.options.at(first)->count() > 0)
      find_setting(first)->apply(config, line.values.at(first));
  }
  for (const Setting& setting : settings()) {
    if (setting.name == "role" || line.options.at(setting.name)->count() == 0) continue;
    setting.apply(config, line.values.at(setting.name));
    if (setting.name == "listen") listen_set = true;
  }
  if (!listen_set && config.role == target::Role::downstream) config.listen = "127.0.0.1:8001";
  if (const auto checked = target::validate(config.faults); !checked) {
    throw ConfigError("invalid fault " + checked.error().field + ": " + checked.error().message);
  }
  return config;
}

std::string format_serve_config(const target::ServiceConfig& config) {
  std::ostringstream out;
  for (const Setting& setting : settings()) {
    std::string key = setting.name;
    std::replace(key.begin(), key.end(), '-', '_');
    out << key << ": " << setting.show(config) << '\n';
  }
  return out.str();
}

http::ServerOptions server_options_from(const target::ServiceConfig& config) {
  const std::string& listen = config.listen;
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    invalid("listen", listen, "expected HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    // A colon left in the host is either a bare IPv6 address or a mistake such as
    // 127.0.0.1:0:0, which the resolver would only report at start-up, as a system error.
    boost::system::error_code not_ipv6;
    boost::asio::ip::make_address_v6(host, not_ipv6);
    if (not_ipv6) invalid("listen", listen, "expected HOST:PORT (an IPv6 host in brackets)");
  }
  http::ServerOptions options;
  options.host = host;
  options.port =
      static_cast<std::uint16_t>(integer("listen port", listen.substr(colon + 1), 0, 65535));
  options.io_threads = config.io_threads;
  options.model = config.model == target::ExecutionModel::async ? http::ExecutionModel::async
                                                                : http::ExecutionModel::threaded;
  options.workers = config.workers;
  options.io_backend =
      http::choose_poller_backend(config.io_backend).value_or(http::PollerBackend::epoll);
  options.max_header_bytes = config.limits.max_header_bytes;
  options.max_body_bytes = config.limits.max_body_bytes;
  options.header_read_timeout = config.limits.header_read_timeout;
  options.idle_timeout = config.limits.idle_timeout;
  options.max_connections = config.limits.max_connections;
  options.drain_grace = config.drain_grace;
  options.drain_timeout = config.drain_timeout;
  return options;
}

}  // namespace loadlab::cli
