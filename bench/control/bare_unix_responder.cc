// bare_unix_responder: the limit of "one connection per command" on a UNIX socket here.
// Single-threaded: accept, read until one JSON object has closed, write a fixed answer,
// close. No parsing, no work: whatever a real server does costs on top of this.
// Usage: bare_unix_responder SOCKET_PATH   (prints "ready" when listening)
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr char kAnswer[] = "{ \"result\": 0, \"text\": \"ok\" }";

// True once the bytes hold a whole object: braces balance (outside strings).
bool complete(const std::string& s) {
  int depth = 0;
  bool in_string = false, escaped = false, started = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') {
      ++depth;
      started = true;
    } else if (c == '}' && --depth == 0 && started) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  ::unlink(argv[1]);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1024) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  std::string buffer;
  char chunk[4096];
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    buffer.clear();
    for (ssize_t n; !complete(buffer) && (n = ::read(fd, chunk, sizeof chunk)) > 0;) buffer.append(chunk, static_cast<std::size_t>(n));
    if (complete(buffer)) (void)!::write(fd, kAnswer, sizeof kAnswer - 1);
    ::close(fd);
  }
}
