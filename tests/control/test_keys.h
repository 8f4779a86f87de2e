// Valid WireGuard public keys (base64) shared by the control command tests.
#pragma once

namespace leasehold::control {
inline constexpr const char* kKeyA = "Xxrf3hY1qo5eVf678MqlI3pigWpIrY8yTkwwCEPeEmk=";
inline constexpr const char* kKeyB = "YBSIyZcvC5Ty6kUOhiVnX+W1xFjUL8s6zSW7rmKwUFE=";
inline constexpr const char* kKeyC = "aHR0cHM6Ly93d3cud2lyZWd1YXJkLmNvbS8hISEhIT0=";
}  // namespace leasehold::control
