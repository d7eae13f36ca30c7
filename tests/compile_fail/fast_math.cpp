// -ffast-math would delete the checks for NaN and infinity: refused.
// flags: -ffast-math
// expect: typenet: -ffast-math and -ffinite-math-only remove the NaN and infinity checks typenet relies on
#include <typenet/typenet.hpp>

int main() {}
