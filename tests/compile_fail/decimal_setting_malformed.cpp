// A real-valued setting that is not a decimal (a comma for the point): the
// compiler stops at the argument and shows the rule.
// expect: typenet: write a real-valued setting as a decimal, such as 0.25, -1.5 or 1e-3
// expect: Decimal
#include "typenet/typenet.hpp"

namespace tn = typenet;

template <tn::Decimal Rate>
struct Dropout {};

int main() {
    Dropout<"0,25"> dropout;
    (void)dropout;
}
