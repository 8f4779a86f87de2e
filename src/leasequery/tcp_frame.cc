#include "leasequery/tcp_frame.h"

#include <cassert>
#include <string>

namespace leasehold::leasequery {
namespace {

std::size_t length_at(std::span<const std::uint8_t> b) { return std::size_t{b[0]} << 8 | b[1]; }

}  // namespace

Bytes frame(std::span<const std::uint8_t> body) {
  assert(body.size() <= kMaxFrameBody);
  Bytes out;
  out.reserve(body.size() + 2);
  out.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void FrameReader::feed(std::span<const std::uint8_t> bytes) {
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Bytes>> FrameReader::next() {
  std::span<const std::uint8_t> rest(buffer_.data() + start_, buffer_.size() - start_);
  if (rest.size() < 2) return std::optional<Bytes>();
  std::size_t length = length_at(rest);
  if (length == 0 || length > max_body_)
    return make_error(Errc::invalid_argument, "frame length " + std::to_string(length) + " outside 1.." + std::to_string(max_body_));
  if (rest.size() < 2 + length) return std::optional<Bytes>();
  Bytes body(rest.begin() + 2, rest.begin() + 2 + static_cast<std::ptrdiff_t>(length));
  start_ += 2 + length;
  if (start_ > 65536 && start_ * 2 > buffer_.size()) {  // keep the buffer from growing without end
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  return std::optional<Bytes>(std::move(body));
}

}  // namespace leasehold::leasequery
