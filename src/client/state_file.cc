#include "client/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

namespace leasehold::client {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxStateBytes = 64 * 1024;

Error corrupt(const std::string& message) { return make_error(Errc::corruption, message); }
Error os_error(const std::string& what) { return make_error(Errc::io, what + ": " + std::strerror(errno)); }

Result<std::optional<net::Address>> address_field(const json& lease, const char* key, net::Family family) {
  if (!lease.contains(key) || lease[key].is_null()) return std::optional<net::Address>{};
  if (!lease[key].is_string()) return corrupt(std::string(key) + " is not a string");
  auto address = net::Address::parse(lease[key].get<std::string>());
  if (!address || address->family() != family) return corrupt(std::string(key) + " is not an " + net::family_name(family) + " address");
  return std::optional<net::Address>(*address);
}

Result<std::uint64_t> number_field(const json& lease, const char* key, std::uint64_t max) {
  if (!lease.contains(key) || !lease[key].is_number_unsigned()) return corrupt(std::string(key) + " is not a number");
  const auto value = lease[key].get<std::uint64_t>();
  if (value > max) return corrupt(std::string(key) + " out of range");
  return value;
}

Result<StoredLease> decode_lease(const json& lease) {
  if (!lease.is_object()) return corrupt("lease is not an object");
  StoredLease out;
  auto v4 = address_field(lease, "ipv4", net::Family::v4);
  if (!v4) return v4.error();
  auto v6 = address_field(lease, "ipv6", net::Family::v6);
  if (!v6) return v6.error();
  out.addresses = LeaseAddresses{*v4, *v6};
  auto start = number_field(lease, "leasestart", std::numeric_limits<std::int64_t>::max());
  if (!start) return start.error();
  auto time = number_field(lease, "leasetime", std::numeric_limits<std::uint32_t>::max());
  if (!time) return time.error();
  out.leasestart = static_cast<std::int64_t>(*start);
  out.leasetime_seconds = static_cast<std::uint32_t>(*time);
  return out;
}

// Writes `bytes` to `path` so that a crash leaves either the old file or the new one.
Status write_atomically(const std::filesystem::path& path, const std::string& bytes) {
  const std::string temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error("open " + temp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error error = os_error("write " + temp);
      ::close(fd);
      return error;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error error = os_error("fsync " + temp);
    ::close(fd);
    return error;
  }
  if (::close(fd) != 0) return os_error("close " + temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) return os_error("rename " + temp);
  // The rename itself is durable only once the directory is.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace

std::string state_file_path(const std::string& state_dir, const std::string& ifname) {
  return (std::filesystem::path(state_dir) / ("client-" + ifname + ".json")).string();
}

std::string encode_state(const std::string& ifname, const std::optional<StoredLease>& lease) {
  json doc = {{"interface", ifname}, {"lease", nullptr}};
  if (lease) {
    const auto text = [](const std::optional<net::Address>& a) { return a ? json(a->to_string()) : json(nullptr); };
    doc["lease"] = {{"ipv4", text(lease->addresses.ipv4)},
                    {"ipv6", text(lease->addresses.ipv6)},
                    {"leasestart", lease->leasestart},
                    {"leasetime", lease->leasetime_seconds}};
  }
  return doc.dump(2) + "\n";
}

Result<std::optional<StoredLease>> decode_state(const std::string& text, const std::string& ifname) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return corrupt("not a JSON object");
  if (!doc.contains("interface") || !doc["interface"].is_string() || doc["interface"].get<std::string>() != ifname)
    return corrupt("interface is not \"" + ifname + "\"");
  if (!doc.contains("lease") || doc["lease"].is_null()) return std::optional<StoredLease>{};
  auto lease = decode_lease(doc["lease"]);
  if (!lease) return lease.error();
  return std::optional<StoredLease>(*lease);
}

Result<std::optional<StoredLease>> load_state(const std::string& path, const std::string& ifname) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<StoredLease>{};
    return os_error("open " + path);
  }
  std::string text(kMaxStateBytes + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = ::read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error error = os_error("read " + path);
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (size > kMaxStateBytes) return corrupt(path + ": state file too large");
  text.resize(size);
  auto state = decode_state(text, ifname);
  if (!state) return make_error(state.error().code, path + ": " + state.error().message);
  return state;
}

Status save_state(const std::string& path, const std::string& ifname, const std::optional<StoredLease>& lease) {
  const std::filesystem::path file(path);
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return make_error(Errc::io, "create " + file.parent_path().string() + ": " + ec.message());
  return write_atomically(file, encode_state(ifname, lease));
}

}  // namespace leasehold::client
