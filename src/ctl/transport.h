// leaseholdctl's transports: the server's UNIX control socket (one command per
// connection, the answer read until the server closes) and HTTP(S) as Kea's control agent
// speaks it (POST /, basic auth, optional client certificate; the answer's one-element
// list is unwrapped). Errors name the socket or URL.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/result.h"

namespace leasehold::ctl {

Result<std::string> send_unix(const std::string& socket_path, const std::string& command, std::chrono::milliseconds timeout);

struct HttpTarget {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path = "/";
};
Result<HttpTarget> parse_url(const std::string& url);

struct HttpOptions {
  std::string user, password;  // basic auth when user is set
  std::string ca_file;          // verify the server against it (default: the system's)
  std::string cert_file, key_file;
  bool insecure = false;        // no verification of the server
  std::chrono::milliseconds timeout{30000};
};

// The body of the answer (for the control agent's shape: the JSON list as sent).
Result<std::string> send_http(const HttpTarget& target, const std::string& command, const HttpOptions& options);

}  // namespace leasehold::ctl
