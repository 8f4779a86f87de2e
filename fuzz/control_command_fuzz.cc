// libFuzzer target for the control command core (src/control): frames and parses the input
// as one command, dispatches it to a few handlers, and traps when an invariant breaks.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/dispatcher.h"
#include "control/envelope.h"

namespace {

using namespace leasehold;
using namespace leasehold::control;
using nlohmann::json;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// A handler in the shape of the lease commands: typed reads, errors through error_response.
Response lease4_get(const Args& args) {
  if (auto st = args.only({"ip-address", "subnet-id", "identifier", "identifier-type"}); !st)
    return error_response(st.error());
  auto ip = args.get_string("ip-address");
  if (!ip) return error_response(ip.error());
  auto subnet = args.optional_int("subnet-id", 1, std::numeric_limits<std::uint32_t>::max());
  if (!subnet) return error_response(subnet.error());
  return answer(ResultCode::empty, "Lease not found.");
}

const Dispatcher& dispatcher() {
  static const Dispatcher d = [] {
    Dispatcher made;
    check(made.add("echo", [](const Args& args) { return answer(ResultCode::success, "echo", args.object()); }).ok());
    check(made.add("lease4-get", lease4_get).ok());
    // Reads carelessly, so that nlohmann's exceptions reach the dispatcher.
    check(made.add("careless", [](const Args& args) {
                return answer(ResultCode::success, args.object().at("n").get<std::string>());
              }).ok());
    check(made.add_alias("get-lease4", "lease4-get").ok());
    return made;
  }();
  return d;
}

// Every answer is a Kea envelope in ASCII that reads back and writes again to the same bytes.
json check_answer(const std::string& out) {
  for (char c : out) check(c >= 0x20 && c <= 0x7e);
  const json doc = json::parse(out, nullptr, /*allow_exceptions=*/false);
  check(doc.is_object() && doc.contains("result") && doc["result"].is_number_integer());
  const auto result = doc["result"].get<std::int64_t>();
  check(result >= 0 && result <= 4);
  check(!doc.contains("text") || doc["text"].is_string());
  for (const auto& [key, value] : doc.items()) check(key == "result" || key == "text" || key == "arguments");
  check(dump_kea(doc) == out);
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Framing and parsing agree.
  const CommandScan scan = scan_command(input);
  auto command = parse_command(input);
  if (command.ok()) check(scan.status == ScanStatus::complete && scan.length <= size);
  if (scan.status == ScanStatus::invalid) check(!command.ok() && command.error().message == scan.message);
  if (!command.ok()) check(!command.error().message.empty());

  const json doc = check_answer(dispatcher().handle(input));

  // What echo received comes back unchanged through the Kea writer.
  if (command.ok() && dispatcher().canonical(command->name) == "echo") {
    check(doc["result"] == 0);
    check(doc["arguments"] == (command->arguments ? *command->arguments : json::object()));
  }
  return 0;
}
