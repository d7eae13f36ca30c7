#pragma once
// How a consteval function refuses its argument (a decimal setting such as
// Dropout<"1.5">, a tag's name): it calls this function, which is not
// constexpr, so the compilation stops there and the compiler's message quotes
// the line with the reason. (A throw would do the same, but not in an app
// built without exceptions, as embedded apps are.)
namespace typenet {

inline void refuse_at_compile_time(const char* reason) { static_cast<void>(reason); }

}  // namespace typenet
