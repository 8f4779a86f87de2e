#include "wireguard/device.h"

#include <sys/stat.h>

#include "wireguard/netlink_device.h"
#include "wireguard/uapi_device.h"

namespace leasehold::wireguard {

// IFNAMSIZ - 1 bytes at most; the kernel refuses '/', ':' (alias syntax) and whitespace.
bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name)
    if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

namespace {
bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}
}  // namespace

Result<std::unique_ptr<Device>> open_device(const std::string& ifname, std::string_view backend,
                                            const std::string& uapi_dir) {
  if (!valid_interface_name(ifname)) return make_error(Errc::invalid_argument, "bad interface name \"" + ifname + "\"");
  const std::string socket_path = uapi_dir + "/" + ifname + ".sock";
  if (backend == "uapi" || (backend == "auto" && is_socket(socket_path)))
    return make_uapi_device(ifname, socket_path);
  if (backend == "netlink" || backend == "auto") return make_netlink_device(ifname);
  return make_error(Errc::invalid_argument, "unknown WireGuard backend \"" + std::string(backend) + "\"");
}

}  // namespace leasehold::wireguard
