// summary<M>(): Keras's model.summary() of the notebook's models, with the
// memory they need, every figure a compile-time constant.
#include <string>

#include <gtest/gtest.h>

#include "notebook_models.hpp"

namespace tn = typenet;

TEST(Summary, DenseAutoencoderAsKerasCountsIt) {
    EXPECT_EQ(tn::summary<notebook::DenseAutoencoder>(),
              "Layer                                     Output shape            Param #\n"
              "=========================================================================\n"
              "0 Flatten                                 (784)                         0\n"
              "1 Dense relu                              (64)                     50,240\n"
              "2 Dense sigmoid                           (784)                    50,960\n"
              "3 Reshape                                 (28,28)                       0\n"
              "=========================================================================\n"
              "Total params: 101,200 (395.3 KiB)\n"
              "Trainable params: 101,200\n"
              "Non-trainable params: 0\n"
              "Inference, 1 row: 3.3 KiB of activations and scratch (InferenceWorkspace<M, 1>::bytes)\n"
              "Training, 32 rows: 310.0 KiB of activations, gradients and scratch a thread (Workspace<M, 32>::bytes)\n");
}

TEST(Summary, DenoiserRowsAndTotals) {
    const std::string text = tn::summary<notebook::DenoisingAutoencoder>();
    EXPECT_NE(text.find("0 Conv2D relu k3 s2 pad(0,0)              (14,14,16)                  160\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("3 Conv2DTranspose relu k3 s2 pad(0,0)     (28,28,16)                1,168\n"), std::string::npos)
        << text;
    // Keras's count; the model's block is larger, each layer's parameters starting on a cache line.
    EXPECT_NE(text.find("Total params: 3,217 (12.7 KiB)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Inference, 1 row: 62.1 KiB "), std::string::npos) << text;
    EXPECT_NE(text.find("Training, 32 rows: 4608.1 KiB "), std::string::npos) << text;
}

// The figures an app can check before it runs (docs/guide.md).
static_assert(notebook::DenseAutoencoder::parameter_bytes == 101200 * sizeof(float));
// One denoised image in 64 KB (64,000 bytes): the activations in the inference
// plan (14,112 floats) and forward's scratch (1,764), the weights const.
static_assert(tn::InlineWorkspace<notebook::DenoisingAutoencoder, 1>::bytes == tn::aligned_bytes(14112 + 1764));
static_assert(tn::InferenceWorkspace<notebook::DenoisingAutoencoder, 1>::bytes <= 64000);
static_assert(tn::Trainer<notebook::FashionCnn, tn::Adam, tn::SparseCategoricalCrossentropy<tn::FromLogits>,
                          32>::optimizer_state_bytes == 2 * tn::aligned_bytes(notebook::FashionCnn::parameter_count));
