// A merge that reads a tag no Tag before it names (a typo: "b" for "a").
// expect: typenet: this merge reads a tag that no Tag before it in the list names
// expect: tag_named_before<typenet::layer_index<3>
#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<16>, tn::Dense<8, tn::ReLU>, tn::Tag<"a">, tn::Dense<8, tn::ReLU>, tn::Add<"b">>;

int main() { M model; }
