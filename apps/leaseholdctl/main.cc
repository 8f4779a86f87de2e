// leaseholdctl: sends any control command to leasehold-server (UNIX socket or HTTP(S)) and
// prints the answer readably or as JSON; plus friendly commands for daily work: leases,
// peer, pools. See docs/leaseholdctl.md.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "ctl/command_line.h"
#include "ctl/render.h"
#include "ctl/transport.h"

namespace {

using nlohmann::json;
using namespace leasehold;

struct Options {
  std::string socket;
  std::string url;
  ctl::HttpOptions http;
  std::string password_file;
  double timeout = 30;
  bool json_out = false, raw = false, quiet = false, wide = false;
  std::string arguments;
  std::optional<std::uint32_t> subnet;
  bool v4_only = false, v6_only = false;
};

const char* kFriendly =
    "friendly commands:\n"
    "  leases [--subnet ID] [--v4|--v6]   all leases, one table\n"
    "  peer KEY                           a peer's leases and reservation\n"
    "  pools                              pool size and use per subnet\n"
    "any other COMMAND is sent as a control command: COMMAND [key=value ...] [-a JSON]\n";

std::string read_all(std::istream& in) { return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}; }

// Sends one command; on a transport failure prints why and exits 69.
json call(const Options& o, const json& command, std::string* raw_out = nullptr) {
  std::string text = command.dump();
  Result<std::string> answer = make_error(Errc::unavailable, "");
  if (!o.url.empty()) {
    auto target = ctl::parse_url(o.url);
    if (!target) {
      std::cerr << "leaseholdctl: " << target.error().message << "\n";
      std::exit(ctl::kExitUsage);
    }
    answer = ctl::send_http(*target, text, o.http);
  } else {
    answer = ctl::send_unix(o.socket, text, std::chrono::milliseconds(static_cast<long>(o.timeout * 1000)));
  }
  if (!answer) {
    std::cerr << "leaseholdctl: " << answer.error().message << "\n";
    std::exit(ctl::kExitUnreachable);
  }
  if (raw_out) *raw_out = *answer;
  json parsed = json::parse(*answer, nullptr, false);
  if (parsed.is_discarded()) {
    std::cerr << "leaseholdctl: the answer is not JSON\n";
    std::exit(1);
  }
  // The HTTP transport answers as Kea's agent: a list with one response.
  if (parsed.is_array() && parsed.size() == 1) return parsed[0];
  return parsed;
}

json command_of(const std::string& name, json arguments = nullptr) {
  json c = {{"command", name}};
  if (!arguments.is_null()) c["arguments"] = std::move(arguments);
  return c;
}

ctl::RenderOptions render_options(const Options& o) {
  return {o.wide, static_cast<std::int64_t>(std::time(nullptr))};
}

int leases(const Options& o) {
  json rows = json::array();
  for (const char* family : {"4", "6"}) {
    if ((o.v4_only && family[0] == '6') || (o.v6_only && family[0] == '4')) continue;
    json args = o.subnet ? json{{"subnets", {*o.subnet}}} : json(nullptr);
    json answer = call(o, command_of(std::string("lease") + family + "-get-all", args));
    int status = ctl::exit_status_for(answer);
    if (status != 0 && status != 3) {
      std::cout << ctl::render_answer(answer, render_options(o));
      return status;
    }
    for (auto& l : answer["arguments"].value("leases", json::array())) rows.push_back(l);
  }
  if (o.json_out) {
    std::cout << rows.dump(2) << "\n";
    return rows.empty() ? 3 : 0;
  }
  if (rows.empty()) {
    std::cout << "no leases\n";
    return 3;
  }
  std::cout << ctl::render_table(rows, render_options(o));
  return 0;
}

int peer(const Options& o, const std::string& key) {
  json out = {{"public-key", key}, {"leases", json::array()}};
  for (const char* family : {"4", "6"}) {
    json answer = call(o, command_of(std::string("lease") + family + "-get-all"));
    for (auto& l : answer["arguments"].value("leases", json::array()))
      if (l.value("public-key", std::string()) == key) out["leases"].push_back(l);
  }
  json host = call(o, command_of("reservation-get", {{"identifier-type", "public-key"}, {"identifier", key}}));
  if (ctl::exit_status_for(host) == 0) out["reservation"] = host["arguments"];
  else if (ctl::exit_status_for(host) == 1) {
    std::cout << ctl::render_answer(host, render_options(o));
    return 1;
  }
  bool known = !out["leases"].empty() || out.contains("reservation");
  if (o.json_out) {
    std::cout << out.dump(2) << "\n";
    return known ? 0 : 3;
  }
  if (!known) {
    std::cout << "not found: no lease and no reservation for " << key << "\n";
    return 3;
  }
  if (!out["leases"].empty()) std::cout << ctl::render_table(out["leases"], {true, render_options(o).now});
  else std::cout << "no leases\n";
  if (out.contains("reservation")) std::cout << "reservation: " << out["reservation"].dump() << "\n";
  return 0;
}

int pools(const Options& o) {
  json stats = call(o, command_of("statistic-get-all"));
  auto stat = [&](const std::string& name) -> std::int64_t {
    const json& args = stats["arguments"];
    if (!args.contains(name) || !args[name].is_array() || args[name].empty()) return 0;
    return args[name][0][0].get<std::int64_t>();
  };
  json rows = json::array();
  for (const char* family : {"4", "6"}) {
    json list = call(o, command_of(std::string("subnet") + family + "-list"));
    for (auto& s : list["arguments"].value("subnets", json::array())) {
      std::string id = std::to_string(s.value("id", 0));
      bool v4 = family[0] == '4';
      std::int64_t total = stat("subnet[" + id + "]." + (v4 ? "total-addresses" : "total-nas"));
      std::int64_t used = stat("subnet[" + id + "]." + (v4 ? "assigned-addresses" : "assigned-nas"));
      char use[32];
      std::snprintf(use, sizeof use, "%.1f%%", total > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(total) : 0.0);
      rows.push_back({{"id", s.value("id", 0)}, {"subnet", s.value("subnet", "")}, {"total", total}, {"assigned", used},
                      {"free", total - used}, {"use", use}});
    }
  }
  if (o.json_out) std::cout << rows.dump(2) << "\n";
  else if (rows.empty()) std::cout << "no subnets\n";
  else std::cout << ctl::render_table(rows, render_options(o));
  return rows.empty() ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leaseholdctl: manage a running leasehold-server through its control API"};
  app.footer(kFriendly);
  Options o;
  const char* env_socket = std::getenv("LEASEHOLD_CONTROL_SOCKET");
  o.socket = env_socket ? env_socket : "/run/leasehold/control.sock";
  if (const char* p = std::getenv("LEASEHOLD_PASSWORD")) o.http.password = p;
  std::vector<std::string> words;
  app.add_option("-s,--socket", o.socket, "control socket (env LEASEHOLD_CONTROL_SOCKET)")->capture_default_str();
  app.add_option("-U,--url", o.url, "HTTP(S) control endpoint instead of the socket, e.g. http://127.0.0.1:8000/");
  app.add_option("-u,--user", o.http.user, "basic authentication user");
  app.add_option("--password", o.http.password, "basic authentication password (env LEASEHOLD_PASSWORD)");
  app.add_option("--password-file", o.password_file, "file holding the password");
  app.add_option("--cacert", o.http.ca_file, "CA file to verify the server");
  app.add_option("--cert", o.http.cert_file, "client certificate (PEM)");
  app.add_option("--key", o.http.key_file, "client key (PEM)");
  app.add_flag("--insecure", o.http.insecure, "do not verify the server's certificate");
  app.add_option("--timeout", o.timeout, "seconds to wait for the answer")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("-j,--json", o.json_out, "print the answer as JSON");
  app.add_flag("--raw", o.raw, "print the answer exactly as received");
  app.add_flag("-q,--quiet", o.quiet, "print nothing; the exit status tells");
  app.add_flag("-w,--wide", o.wide, "do not shorten public keys");
  app.add_option("-a,--arguments", o.arguments, "the arguments object: JSON, @FILE, or - for standard input");
  app.add_option("--subnet", o.subnet, "leases: only this subnet id");
  app.add_flag("--v4", o.v4_only, "leases: IPv4 only");
  app.add_flag("--v6", o.v6_only, "leases: IPv6 only");
  app.add_option("command", words, "COMMAND [key=value ...]")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : ctl::kExitUsage;
  }
  o.http.timeout = std::chrono::milliseconds(static_cast<long>(o.timeout * 1000));
  if (!o.password_file.empty()) {
    std::ifstream f(o.password_file);
    if (!f) {
      std::cerr << "leaseholdctl: cannot read " << o.password_file << "\n";
      return ctl::kExitUsage;
    }
    std::getline(f, o.http.password);
  }
  const std::string name = words.front();
  const std::vector<std::string> pairs(words.begin() + 1, words.end());
  if (name == "help") {
    std::cout << app.help() << "\n";
    return 0;
  }
  if (name == "leases" || name == "pools") {
    if (!pairs.empty()) {
      std::cerr << "leaseholdctl: " << name << " takes no key=value arguments\n";
      return ctl::kExitUsage;
    }
    return name == "leases" ? leases(o) : pools(o);
  }
  if (name == "peer") {
    if (pairs.size() != 1) {
      std::cerr << "leaseholdctl: usage: leaseholdctl peer PUBLIC-KEY\n";
      return ctl::kExitUsage;
    }
    return peer(o, pairs[0]);
  }
  std::optional<json> base;
  if (!o.arguments.empty()) {
    std::string text = o.arguments;
    if (text == "-") {
      text = read_all(std::cin);
    } else if (text[0] == '@') {
      std::ifstream f(text.substr(1));
      if (!f) {
        std::cerr << "leaseholdctl: cannot read " << text.substr(1) << "\n";
        return ctl::kExitUsage;
      }
      text = read_all(f);
    }
    auto parsed = ctl::parse_arguments_text(text);
    if (!parsed) {
      std::cerr << "leaseholdctl: -a: " << parsed.error().message << "\n";
      return ctl::kExitUsage;
    }
    base = *parsed;
  }
  auto command = ctl::build_command(name, pairs, base);
  if (!command) {
    std::cerr << "leaseholdctl: " << command.error().message << "\n";
    return ctl::kExitUsage;
  }
  std::string raw;
  json answer = call(o, *command, &raw);
  if (!o.quiet) {
    if (o.raw) std::cout << raw << "\n";
    else if (o.json_out) std::cout << answer.dump(2) << "\n";
    else std::cout << ctl::render_answer(answer, render_options(o));
  }
  return ctl::exit_status_for(answer);
}
