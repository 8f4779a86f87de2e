#include "wgdyn/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace leasehold::wgdyn {
namespace {

// A line of exactly `bytes` bytes, its '\n' included.
std::string line_of(std::size_t bytes) { return "k=" + std::string(bytes - 3, 'v') + "\n"; }

TEST(Frame, CompleteMessage) {
  const std::string msg = "request_ip=1\nipv4=10.0.0.1/32\n\n";
  auto r = find_message(msg);
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_TRUE(r.is_complete());
  EXPECT_FALSE(r.is_error());
  EXPECT_EQ(r.length, msg.size());
}

TEST(Frame, EmptyInputNeedsMore) {
  auto r = find_message("");
  EXPECT_EQ(r.status, FrameStatus::need_more);
  EXPECT_FALSE(r.is_error());
}

TEST(Frame, LoneEmptyLineIsAMessage) {
  // Framing only delimits; parse_request() rejects the empty message.
  auto r = find_message("\n");
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, 1u);
}

TEST(Frame, PartialMessagesNeedMore) {
  for (const char* partial : {"r", "request_ip=1", "request_ip=1\n", "request_ip=1\nipv4=1"})
    EXPECT_EQ(find_message(partial).status, FrameStatus::need_more) << partial;
}

TEST(Frame, MessageSplitAcrossReads) {
  const std::string msg = "request_ip=1\nleasetime=3600\n\n";
  std::string buffered;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    buffered.push_back(msg[i]);
    auto r = find_message(buffered);
    if (i + 1 < msg.size()) {
      EXPECT_EQ(r.status, FrameStatus::need_more) << i;
    } else {
      EXPECT_EQ(r.status, FrameStatus::complete);
      EXPECT_EQ(r.length, msg.size());
    }
  }
}

TEST(Frame, TwoMessagesBackToBack) {
  const std::string first = "request_ip=1\n\n";
  const std::string second = "request_ip=1\nip=::/128\n\n";
  std::string buffered = first + second + "request_ip";
  auto r = find_message(buffered);
  ASSERT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, first.size());
  buffered.erase(0, r.length);
  r = find_message(buffered);
  ASSERT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, second.size());
  buffered.erase(0, r.length);
  EXPECT_EQ(find_message(buffered).status, FrameStatus::need_more);
}

TEST(Frame, LineOfExactlyMaxLineIsAccepted) {
  const std::string msg = "request_ip=1\n" + line_of(kMaxLine) + "\n";
  auto r = find_message(msg);
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, msg.size());
}

TEST(Frame, LineOfMaxLinePlusOneIsRejected) {
  EXPECT_EQ(find_message("request_ip=1\n" + line_of(kMaxLine + 1) + "\n").status,
            FrameStatus::line_too_long);
}

TEST(Frame, FirstLineCountsToo) {
  EXPECT_EQ(find_message(line_of(kMaxLine) + "\n").status, FrameStatus::complete);
  EXPECT_EQ(find_message(line_of(kMaxLine + 1) + "\n").status, FrameStatus::line_too_long);
}

TEST(Frame, LongLineRejectedBeforeItsNewline) {
  // 4095 bytes of text may still end with a '\n'; the 4096th text byte proves the overflow.
  EXPECT_EQ(find_message(std::string(kMaxLine - 1, 'a')).status, FrameStatus::need_more);
  EXPECT_EQ(find_message(std::string(kMaxLine, 'a')).status, FrameStatus::line_too_long);
  EXPECT_EQ(find_message(std::string(5000, 'a')).status, FrameStatus::line_too_long);
}

// Lines filling exactly `total` bytes, each at most kMaxLine, final empty line not included.
std::string lines_filling(std::size_t total) {
  std::string out;
  while (total - out.size() > kMaxLine) out += line_of(kMaxLine);
  out += line_of(total - out.size());
  return out;
}

TEST(Frame, MessageOfExactlyMaxMessageIsAccepted) {
  const std::string msg = lines_filling(kMaxMessage - 1) + "\n";
  ASSERT_EQ(msg.size(), kMaxMessage);
  auto r = find_message(msg);
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, kMaxMessage);
}

TEST(Frame, MessageOfMaxMessagePlusOneIsRejected) {
  const std::string msg = lines_filling(kMaxMessage) + "\n";
  ASSERT_EQ(msg.size(), kMaxMessage + 1);
  EXPECT_EQ(find_message(msg).status, FrameStatus::message_too_long);
}

TEST(Frame, LongMessageRejectedAsSoonAsProven) {
  // kMaxMessage bytes of full lines: the final "\n" would make it kMaxMessage + 1.
  EXPECT_EQ(find_message(lines_filling(kMaxMessage)).status, FrameStatus::message_too_long);
  // One byte less still fits, if the next byte is the final "\n".
  EXPECT_EQ(find_message(lines_filling(kMaxMessage - 1)).status, FrameStatus::need_more);
  // Mid-line, the line's '\n' and the final "\n" are both still owed.
  std::string mid = lines_filling(kMaxMessage - 3) + "k";
  ASSERT_EQ(mid.size(), kMaxMessage - 2);
  EXPECT_EQ(find_message(mid).status, FrameStatus::need_more);
  mid += "v";
  EXPECT_EQ(find_message(mid).status, FrameStatus::message_too_long);
}

TEST(Frame, NulByteRejected) {
  using namespace std::string_literals;
  EXPECT_EQ(find_message("request_ip=1\nk=\0v\n\n"s).status, FrameStatus::nul_byte);
  // Also before the message is complete.
  EXPECT_EQ(find_message("request_ip=1\0"s).status, FrameStatus::nul_byte);
  EXPECT_EQ(find_message("\0"s).status, FrameStatus::nul_byte);
}

TEST(Frame, BytesAfterTheMessageAreNotLookedAt) {
  using namespace std::string_literals;
  const std::string buffered = "request_ip=1\n\n\0"s + std::string(10000, 'x');
  auto r = find_message(buffered);
  EXPECT_EQ(r.status, FrameStatus::complete);
  EXPECT_EQ(r.length, 14u);
}

TEST(Frame, ErrorMessages) {
  EXPECT_STREQ(frame_error_message(FrameStatus::line_too_long), "line too long");
  EXPECT_STREQ(frame_error_message(FrameStatus::message_too_long), "message too long");
  EXPECT_STREQ(frame_error_message(FrameStatus::nul_byte), "nul byte");
  EXPECT_STREQ(frame_error_message(FrameStatus::complete), "");
  EXPECT_STREQ(frame_error_message(FrameStatus::need_more), "");
}

}  // namespace
}  // namespace leasehold::wgdyn
