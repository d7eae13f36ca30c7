// A Tag that no merge reads: the skip was forgotten, or the Tag is left over.
// expect: typenet: no merge after this Tag reads it
// expect: tag_read_later<typenet::layer_index<1>
#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<16>, tn::Dense<8, tn::ReLU>, tn::Tag<"a">, tn::Dense<8, tn::ReLU>>;

int main() { M model; }
