#include "client/lease.h"

namespace leasehold::client {

std::vector<net::Address> LeaseAddresses::list() const {
  std::vector<net::Address> out;
  if (ipv4) out.push_back(*ipv4);
  if (ipv6) out.push_back(*ipv6);
  return out;
}

bool LeaseAddresses::contains(const net::Address& address) const {
  return (ipv4 && *ipv4 == address) || (ipv6 && *ipv6 == address);
}

std::string LeaseAddresses::describe() const {
  return "ipv4 " + (ipv4 ? ipv4->to_string() : "-") + " ipv6 " + (ipv6 ? ipv6->to_string() : "-");
}

}  // namespace leasehold::client
