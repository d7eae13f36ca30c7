// -ffinite-math-only alone deletes the same checks: refused too.
// flags: -ffinite-math-only
// expect: typenet: -ffast-math and -ffinite-math-only remove the NaN and infinity checks typenet relies on
#include <typenet/typenet.hpp>

int main() {}
