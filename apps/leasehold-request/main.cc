// leasehold-request: sends one request_ip request and prints the answer, like dhcping.
// For operators checking a server by hand, and for the demo. Plain blocking sockets.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "server/config.h"

namespace {

bool fill(sockaddr_storage& out, socklen_t& len, const leasehold::server::ListenEndpoint& ep) {
  if (ep.address.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&out);
    s->sin_family = AF_INET;
    s->sin_port = htons(ep.port);
    s->sin_addr.s_addr = htonl(ep.address.v4_value());
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&out);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(ep.port);
  auto bytes = ep.address.v6_bytes();
  std::copy(bytes.begin(), bytes.end(), s->sin6_addr.s6_addr);
  if (!ep.zone.empty()) s->sin6_scope_id = if_nametoindex(ep.zone.c_str());
  len = sizeof(sockaddr_in6);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leasehold-request: send one request_ip request and print the answer"};
  std::string server = "127.0.0.1:9700", source, ipv4, ipv6, leasetime;
  int source_port = 0;
  bool raw = false;
  app.add_option("-s,--server", server, "server address:port ([v6]:port for IPv6)");
  app.add_option("--source", source, "source address to send from (selects the peer)");
  app.add_option("--source-port", source_port, "source port (970 needs root)")->check(CLI::Range(0, 65535));
  app.add_option("--ipv4", ipv4, "IPv4 hint, e.g. 10.47.0.5/32");
  app.add_option("--ipv6", ipv6, "IPv6 hint, e.g. fd00:47::5/128");
  app.add_option("--leasetime", leasetime, "lease time hint in seconds");
  app.add_flag("--raw", raw, "send standard input as the request, byte for byte");
  CLI11_PARSE(app, argc, argv);

  auto remote = leasehold::server::parse_endpoint(server);
  if (!remote) {
    std::cerr << "leasehold-request: --server \"" << server << "\": " << remote.error().message << "\n";
    return 2;
  }
  std::string request;
  if (raw) {
    request.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    request = "request_ip=1\n";
    if (!ipv4.empty()) request += "ipv4=" + ipv4 + "\n";
    if (!ipv6.empty()) request += "ipv6=" + ipv6 + "\n";
    if (!leasetime.empty()) request += "leasetime=" + leasetime + "\n";
    request += "\n";
  }
  sockaddr_storage to{};
  socklen_t to_len = 0;
  fill(to, to_len, *remote);
  int fd = socket(to.ss_family, SOCK_STREAM, 0);
  if (!source.empty() || source_port) {
    leasehold::server::ListenEndpoint local;
    auto addr = leasehold::net::Address::parse(source.empty() ? (remote->address.is_v4() ? "0.0.0.0" : "::") : source);
    if (!addr) {
      std::cerr << "leasehold-request: --source \"" << source << "\" is not an IP address\n";
      return 2;
    }
    local.address = *addr;
    local.port = static_cast<std::uint16_t>(source_port);
    local.zone = remote->zone;  // a link-local source is on the server's interface
    sockaddr_storage from{};
    socklen_t from_len = 0;
    fill(from, from_len, local);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&from), from_len) != 0) {
      std::perror("leasehold-request: bind");
      return 1;
    }
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), to_len) != 0) {
    std::perror("leasehold-request: connect");
    return 1;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    std::perror("leasehold-request: send");
    return 1;
  }
  std::string answer;
  char buf[4096];
  while (answer.find("\n\n") == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  if (answer.empty()) {
    std::cerr << "leasehold-request: the server closed the connection without an answer (unknown peer?)\n";
    return 1;
  }
  std::cout << answer;
  return answer.find("\nerrno=0\n") != std::string::npos || answer.rfind("errno=0\n", 0) == 0 ? 0 : 3;
}
