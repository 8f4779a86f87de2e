#include "netif/netif.h"

#include <cerrno>
#include <cstring>

#include "netif/rtnl_socket.h"

namespace leasehold::netif {
namespace {

// A dump that changed under us is read again a few times before its answer is taken as is.
constexpr int kDumpAttempts = 3;

Error kernel_error(const std::string& what, int error) {
  const Errc code = error == ENODEV ? Errc::not_found : Errc::io;
  std::string text = what + ": " + std::strerror(error);
  if (error == EPERM || error == EACCES) text += " (needs CAP_NET_ADMIN)";
  return make_error(code, std::move(text));
}

std::string describe(const net::Address& address, int prefix_len) {
  return address.to_string() + "/" + std::to_string(prefix_len);
}

Result<LinkInfo> get_link(RtnlSocket& socket, const std::string& ifname) {
  auto request = rtnl::encode_get_link(ifname, socket.next_seq());
  if (!request) return make_error(Errc::invalid_argument, "bad interface name \"" + ifname.substr(0, 32) + "\"");
  std::optional<LinkInfo> link;
  auto outcome = socket.exchange(*request, [&](std::span<const std::byte> message) -> Status {
    auto decoded = rtnl::decode_link(message);
    if (!decoded) return decoded.error();
    link = std::move(*decoded);
    return {};
  });
  if (!outcome) return outcome.error();
  if (outcome->error == ENODEV) return make_error(Errc::not_found, "no interface \"" + ifname + "\"");
  if (outcome->error != 0) return kernel_error("interface " + ifname, outcome->error);
  if (!link) return make_error(Errc::corruption, "interface " + ifname + ": empty reply");
  return *link;
}

// Runs a dump, collecting with `on_message`; `reset` forgets a partial answer before a retry.
template <class Reset>
Status dump(RtnlSocket& socket, const std::function<rtnl::Request(std::uint32_t)>& encode,
            const rtnl::MessageFn& on_message, Reset reset, const std::string& what) {
  for (int attempt = 1;; ++attempt) {
    auto outcome = socket.exchange(encode(socket.next_seq()), on_message);
    if (!outcome) return outcome.error();
    if (outcome->error != 0) return kernel_error(what, outcome->error);
    if (!outcome->interrupted || attempt == kDumpAttempts) return {};
    reset();
  }
}

Result<std::vector<InterfaceAddress>> addresses_of(RtnlSocket& socket, const LinkInfo& link) {
  std::vector<InterfaceAddress> out;
  auto collect = [&](std::span<const std::byte> message) -> Status {
    auto decoded = rtnl::decode_address(message);
    if (!decoded) return decoded.error();
    if (*decoded && (*decoded)->ifindex == link.index) out.push_back(**decoded);
    return {};
  };
  auto encode = [&](std::uint32_t seq) { return rtnl::encode_dump_addresses(link.index, seq); };
  auto status = dump(socket, encode, collect, [&] { out.clear(); }, "addresses of " + link.name);
  if (!status) return status.error();
  return out;
}

Status change_address(const std::string& ifname, const rtnl::Request& request, const std::string& what,
                      std::initializer_list<int> benign) {
  auto socket = RtnlSocket::open();
  if (!socket) return socket.error();
  auto outcome = socket->exchange(request, [](std::span<const std::byte>) -> Status { return {}; });
  if (!outcome) return outcome.error();
  for (int error : benign)
    if (outcome->error == error) return {};
  if (outcome->error == ENODEV) return make_error(Errc::not_found, "no interface \"" + ifname + "\"");
  if (outcome->error != 0) return kernel_error(what, outcome->error);
  return {};
}

bool valid_prefix_len(const net::Address& address, int prefix_len) {
  return prefix_len >= 0 && prefix_len <= net::family_bits(address.family());
}

}  // namespace

Result<LinkInfo> link_info(const std::string& ifname) {
  auto socket = RtnlSocket::open();
  if (!socket) return socket.error();
  return get_link(*socket, ifname);
}

Result<unsigned> interface_index(const std::string& ifname) {
  auto link = link_info(ifname);
  if (!link) return link.error();
  return link->index;
}

Result<bool> link_is_up(const std::string& ifname) {
  auto link = link_info(ifname);
  if (!link) return link.error();
  return link->up();
}

Result<std::vector<InterfaceAddress>> list_addresses(const std::string& ifname) {
  auto socket = RtnlSocket::open();
  if (!socket) return socket.error();
  auto link = get_link(*socket, ifname);
  if (!link) return link.error();
  return addresses_of(*socket, *link);
}

Status add_address(const std::string& ifname, const net::Address& address, int prefix_len, const AddOptions& options) {
  if (!valid_prefix_len(address, prefix_len))
    return make_error(Errc::invalid_argument, "bad prefix length " + std::to_string(prefix_len));
  auto index = interface_index(ifname);
  if (!index) return index.error();
  const auto request = rtnl::encode_new_address(*index, address, prefix_len, options, 1);
  return change_address(ifname, request, "add " + describe(address, prefix_len) + " to " + ifname, {EEXIST});
}

Status remove_address(const std::string& ifname, const net::Address& address, int prefix_len) {
  if (!valid_prefix_len(address, prefix_len))
    return make_error(Errc::invalid_argument, "bad prefix length " + std::to_string(prefix_len));
  auto index = interface_index(ifname);
  if (!index) return index.error();
  const auto request = rtnl::encode_del_address(*index, address, prefix_len, 1);
  return change_address(ifname, request, "remove " + describe(address, prefix_len) + " from " + ifname,
                        {EADDRNOTAVAIL, ENOENT});
}

Result<std::vector<net::Prefix>> list_route_prefixes(const std::string& ifname) {
  auto socket = RtnlSocket::open();
  if (!socket) return socket.error();
  auto link = get_link(*socket, ifname);
  if (!link) return link.error();
  std::vector<net::Prefix> out;
  for (net::Family family : {net::Family::v4, net::Family::v6}) {
    const std::size_t family_start = out.size();
    auto collect = [&](std::span<const std::byte> message) -> Status {
      auto route = rtnl::decode_route(message);
      if (!route) return route.error();
      if (*route)
        if (auto prefix = rtnl::pool_prefix(**route, link->index)) out.push_back(*prefix);
      return {};
    };
    auto encode = [&](std::uint32_t seq) { return rtnl::encode_dump_routes(family, link->index, seq); };
    auto reset = [&] { out.resize(family_start); };
    auto status = dump(*socket, encode, collect, reset, "routes of " + ifname);
    if (!status) return status.error();
  }
  return out;
}

}  // namespace leasehold::netif
