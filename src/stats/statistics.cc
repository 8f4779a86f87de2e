#include "stats/statistics.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace leasehold::stats {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string kea_time(std::int64_t micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%06lld", local.tm_year + 1900, local.tm_mon + 1,
                local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, static_cast<long long>(micros % 1'000'000));
  return text;
}

void Stat::add(std::int64_t delta) {
  value_.fetch_add(delta, std::memory_order_relaxed);
  changed_us_.store(now_us(), std::memory_order_relaxed);
  present_.store(true, std::memory_order_relaxed);
}

void Stat::set(std::int64_t value) {
  value_.store(value, std::memory_order_relaxed);
  changed_us_.store(now_us(), std::memory_order_relaxed);
  present_.store(true, std::memory_order_relaxed);
}

void Stat::remove() {
  value_.store(0, std::memory_order_relaxed);
  present_.store(false, std::memory_order_relaxed);
}

Stat& Registry::get(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = stats_.find(name);
  if (it == stats_.end()) {
    it = stats_.emplace(std::string(name), std::make_unique<Stat>()).first;
    it->second->set(0);
  }
  return *it->second;
}

Stat* Registry::find(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = stats_.find(name);
  if (it == stats_.end() || !it->second->present()) return nullptr;
  return it->second.get();
}

std::vector<Sample> Registry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<Sample> out;
  for (const auto& [name, stat] : stats_)
    if (stat->present()) out.push_back({name, stat->value(), stat->changed_us()});
  return out;
}

void Registry::reset_all() {
  std::lock_guard lock(mutex_);
  for (auto& entry : stats_)
    if (entry.second->present()) entry.second->reset();
}

void Registry::remove_all() {
  std::lock_guard lock(mutex_);
  for (auto& entry : stats_) entry.second->remove();
}

void Histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(seconds, 0.0) * 1e9)), std::memory_order_relaxed);
}

Histogram::View Histogram::view() const {
  View v;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    v.cumulative[i] = running;
  }
  v.count = running + buckets_[kBounds.size()].load(std::memory_order_relaxed);
  v.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return v;
}

}  // namespace leasehold::stats
