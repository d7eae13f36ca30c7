// A model that ends in Softmax gives probabilities: a crossentropy told it
// gets logits from it would take the log of a softmax of probabilities. The
// trainer refuses it, saying what to write instead, and the note names the
// loss and the layer.
// expect: typenet: the model ends in a Softmax or a sigmoid, so its outputs are probabilities, not logits: write the loss without FromLogits
// expect: logits_check<typenet::SparseCategoricalCrossentropy<typenet::FromLogits>, typenet::Softmax, true>
#include "typenet/typenet.hpp"

namespace tn = typenet;
using Classifier = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<128, tn::ReLU>, tn::Dense<10>, tn::Softmax>;

int main() {
    Classifier model;
    tn::Trainer<Classifier, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>, 32> trainer(model);
}
