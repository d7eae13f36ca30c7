#pragma once
// The notebook's networks (and its tutorial's ECG detector, the classifier
// of TensorFlow's "Basic classification" tutorial, the Keras blog's deep
// convolutional autoencoder and a convolutional classifier with batch
// normalization and dropout) as types. The samples train them and the tests
// check their gradients, so what is tested is exactly what ships.
#include <string_view>

#include "typenet/typenet.hpp"

namespace notebook {

namespace tn = typenet;

// Flatten -> Dense(64, relu) | Dense(784, sigmoid) -> Reshape(28, 28)
struct DenseEncoder : tn::Sequential<tn::Flatten, tn::Dense<64, tn::ReLU>> {};
struct DenseDecoder : tn::Sequential<tn::Dense<784, tn::Sigmoid>, tn::Reshape<28, 28>> {};
using DenseAutoencoder = tn::Model<tn::Input<28, 28>, DenseEncoder, DenseDecoder>;

// Conv2D(16, 3, stride 2, same, relu) -> Conv2D(8, 3, stride 2, same, relu) |
// Conv2DTranspose(8, 3, stride 2, same, relu) -> Conv2DTranspose(16, 3, stride 2, same, relu)
//   -> Conv2D(1, 3, same, sigmoid): 28 -> 14 -> 7 -> 14 -> 28, proven by the compiler.
struct DenoiseEncoder : tn::Sequential<tn::Conv2D<16, 3, 2, tn::Same, tn::ReLU>, tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU>> {};
struct DenoiseDecoder : tn::Sequential<tn::Conv2DTranspose<8, 3, 2, tn::Same, tn::ReLU>,
                                       tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>,
                                       tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {};
using DenoisingAutoencoder = tn::Model<tn::Input<28, 28, 1>, DenoiseEncoder, DenoiseDecoder>;
static_assert(std::is_same_v<DenoisingAutoencoder::output_shape, DenoisingAutoencoder::input_shape>);

// The ECG detector of the tutorial the notebook follows (anomaly detection on
// ECG5000): 140 -> 32 -> 16 -> 8 -> 16 -> 32 -> 140, relu, sigmoid output.
inline constexpr std::size_t ecg_width = 140;
struct EcgEncoder : tn::Sequential<tn::Dense<32, tn::ReLU>, tn::Dense<16, tn::ReLU>, tn::Dense<8, tn::ReLU>> {};
struct EcgDecoder
    : tn::Sequential<tn::Dense<16, tn::ReLU>, tn::Dense<32, tn::ReLU>, tn::Dense<ecg_width, tn::Sigmoid>> {};
using EcgDetector = tn::Model<tn::Input<ecg_width>, EcgEncoder, EcgDecoder>;

// TensorFlow's "Basic classification" tutorial: Flatten -> Dense(128, relu) ->
// Dense(10), ten logits out; and its probability_model, the same layers and a
// Softmax, which takes the trained classifier's parameters as they are.
struct FashionLayers : tn::Sequential<tn::Flatten, tn::Dense<128, tn::ReLU>, tn::Dense<10>> {};
using FashionClassifier = tn::Model<tn::Input<28, 28>, FashionLayers>;
using FashionProbabilities = tn::Model<tn::Input<28, 28>, FashionLayers, tn::Softmax>;

// The deep convolutional autoencoder of the Keras blog post "Building
// Autoencoders in Keras": three Conv2D(3, same, relu) -> MaxPooling2D(2, same)
// down to 4x4x8 | Conv2D(8) -> UpSampling2D(2) -> Conv2D(8) -> UpSampling2D(2)
// -> Conv2D(16, valid) -> UpSampling2D(2) -> Conv2D(1, sigmoid):
// 28 -> 14 -> 7 -> 4 -> 8 -> 16 -> 14 -> 28, proven by the compiler.
struct ConvEncoder : tn::Sequential<tn::Conv2D<16, 3, 1, tn::Same, tn::ReLU>, tn::MaxPooling2D<2, 2, tn::Same>,
                                    tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::MaxPooling2D<2, 2, tn::Same>,
                                    tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::MaxPooling2D<2, 2, tn::Same>> {};
struct ConvDecoder : tn::Sequential<tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::UpSampling2D<2>,
                                    tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::UpSampling2D<2>,
                                    tn::Conv2D<16, 3, 1, tn::Valid, tn::ReLU>, tn::UpSampling2D<2>,
                                    tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {};
using ConvAutoencoder = tn::Model<tn::Input<28, 28, 1>, ConvEncoder, ConvDecoder>;
static_assert(std::is_same_v<ConvAutoencoder::graph::bound<5>::output_shape, tn::Shape<4, 4, 8>>);
static_assert(std::is_same_v<ConvAutoencoder::output_shape, ConvAutoencoder::input_shape>);

// A convolutional classifier of Fashion-MNIST with batch normalization and
// dropout (bench/compare/pytorch_fashion_cnn.py is the same in PyTorch): two
// blocks of Conv2D(3, same, no bias: the normalization's beta is its bias) ->
// BatchNormalization -> ReLU -> MaxPooling2D(2), 28 -> 14 -> 7, then
// Flatten -> Dropout(0.25) -> Dense(128, relu) -> Dropout(0.5) -> Dense(10),
// ten logits out. Its parts are PyTorch's attributes features and classifier,
// as torchvision names a network's two halves.
struct CnnFeatures : tn::Sequential<tn::Conv2D<32, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<>,
                                    tn::Activation<tn::ReLU>, tn::MaxPooling2D<2>,
                                    tn::Conv2D<64, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<>,
                                    tn::Activation<tn::ReLU>, tn::MaxPooling2D<2>> {
    static constexpr std::string_view torch_name = "features";
};
struct CnnClassifier : tn::Sequential<tn::Flatten, tn::Dropout<"0.25">, tn::Dense<128, tn::ReLU>, tn::Dropout<"0.5">,
                                      tn::Dense<10>> {
    static constexpr std::string_view torch_name = "classifier";
};
using FashionCnn = tn::Model<tn::Input<28, 28, 1>, CnnFeatures, CnnClassifier>;
static_assert(std::is_same_v<FashionCnn::graph::bound<7>::output_shape, tn::Shape<7, 7, 64>>);
// As Keras's model.summary() counts them: 421,738 trainable, 192 non-trainable (the moving statistics).
static_assert(FashionCnn::trainable_parameter_count == 421738 && FashionCnn::non_trainable_parameter_count == 192);

// The notebook's denoising task with skip connections (a U-Net; the
// unet_denoiser sample, bench/compare/pytorch_unet_denoiser.py in PyTorch):
//   a = Conv2D(16, 3, same, relu)(input)          28x28x16
//   b = Conv2D(32, 3, stride 2, same, relu)(a)    14x14x32
//   c = Conv2D(32, 3, stride 2, same, relu)(b)    7x7x32
//   u = Conv2DTranspose(32, 3, stride 2, same, relu)(c)                14x14x32
//   u = Conv2DTranspose(16, 3, stride 2, same, relu)(Concatenate(u, b)) 28x28x16
//   output = Conv2D(1, 3, same, sigmoid)(Concatenate(u, a))            28x28x1
// One part: a part runs on its own input, so the skips from a and b keep
// the encoder and the decoder in one (model.hpp). PyTorch's module holds the
// six convolutions in an nn.ModuleList named layers.
struct UNet : tn::Sequential<tn::Conv2D<16, 3, 1, tn::Same, tn::ReLU>, tn::Tag<"a">,
                             tn::Conv2D<32, 3, 2, tn::Same, tn::ReLU>, tn::Tag<"b">,
                             tn::Conv2D<32, 3, 2, tn::Same, tn::ReLU>,
                             tn::Conv2DTranspose<32, 3, 2, tn::Same, tn::ReLU>, tn::Concatenate<"b">,
                             tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>, tn::Concatenate<"a">,
                             tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {
    static constexpr std::string_view torch_name = "layers";
};
using UNetDenoiser = tn::Model<tn::Input<28, 28, 1>, UNet>;
static_assert(std::is_same_v<UNetDenoiser::output_shape, UNetDenoiser::input_shape>);

// TensorFlow's "Convolutional Variational Autoencoder" tutorial, with a latent
// space of 2: the encoder Conv2D(32, 3, stride 2, valid, relu) ->
// Conv2D(64, 3, stride 2, valid, relu) -> Flatten -> Dense(2 x 2), a mean and
// a log-variance for each latent number, 28 -> 13 -> 6; Sampling draws z from
// them, and its kl_loss is the tutorial's one-sample log q(z|x) - log p(z);
// the decoder Dense(7*7*32, relu) -> Reshape(7, 7, 32) -> Conv2DTranspose(64,
// 3, stride 2, same, relu) -> Conv2DTranspose(32, 3, stride 2, same, relu) ->
// Conv2DTranspose(1, 3, same): 7 -> 14 -> 28. The tutorial's decoder gives
// logits; this one ends in a sigmoid, so that it gives the pixels'
// probabilities, and trains on the logits before it (loss_input.hpp).
inline constexpr std::size_t vae_latent = 2;
struct VaeEncoder : tn::Sequential<tn::Conv2D<32, 3, 2, tn::Valid, tn::ReLU>, tn::Conv2D<64, 3, 2, tn::Valid, tn::ReLU>,
                                   tn::Flatten, tn::Dense<2 * vae_latent>> {
    static constexpr std::string_view torch_name = "encoder";
};
struct VaeDecoder
    : tn::Sequential<tn::Dense<7 * 7 * 32, tn::ReLU>, tn::Reshape<7, 7, 32>,
                     tn::Conv2DTranspose<64, 3, 2, tn::Same, tn::ReLU>, tn::Conv2DTranspose<32, 3, 2, tn::Same, tn::ReLU>,
                     tn::Conv2DTranspose<1, 3, 1, tn::Same, tn::Sigmoid>> {
    static constexpr std::string_view torch_name = "decoder";
};
using VariationalAutoencoder =
    tn::Model<tn::Input<28, 28, 1>, VaeEncoder, tn::Sampling<tn::KLEstimate::one_sample>, VaeDecoder>;
static_assert(std::is_same_v<VariationalAutoencoder::graph::bound<1>::output_shape, tn::Shape<6, 6, 64>>);
static_assert(std::is_same_v<VariationalAutoencoder::output_shape, VariationalAutoencoder::input_shape>);

}  // namespace notebook
