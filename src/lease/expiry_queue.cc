#include "lease/expiry_queue.h"

#include <cassert>

namespace leasehold::lease {

void ExpiryQueue::schedule(std::uint32_t ref, std::uint32_t due) {
  std::uint32_t p = pos(ref);
  if (p == kNoHeapPos) {
    heap_.push_back(Entry{due, ref});
    pos(ref) = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return;
  }
  std::uint32_t old = heap_[p].due;
  heap_[p].due = due;
  if (due < old) sift_up(p);
  else sift_down(p);
}

void ExpiryQueue::cancel(std::uint32_t ref) {
  std::uint32_t p = pos(ref);
  assert(p != kNoHeapPos && p < heap_.size());
  pos(ref) = kNoHeapPos;
  Entry last = heap_.back();
  heap_.pop_back();
  if (p == heap_.size()) return;
  place(p, last);
  sift_up(p);
  sift_down(pos(last.ref));
}

void ExpiryQueue::sift_up(std::size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (heap_[parent].due <= e.due) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void ExpiryQueue::sift_down(std::size_t i) {
  Entry e = heap_[i];
  std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].due < heap_[child].due) ++child;
    if (heap_[child].due >= e.due) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace leasehold::lease
