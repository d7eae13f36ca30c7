#pragma once
// What a layer is. A layer type (Dense<64, ReLU>) is a description; bound to
// the shape of its input (Dense<64, ReLU>::Bound<Shape<784>>) it knows its
// output shape, its parameters and how to run forward and backward.
//
// The contract of a bound layer B, for an input of rows x input_shape::size floats:
//   B::output_shape               the shape of one output row
//   B::parameter_count            floats of parameters (weights, biases), laid out as B::tensors says
//   B::is_view                    true when the output is the input seen with another shape
//                                 (Flatten, Reshape): no work, the buffers are shared
//   B::initialize(params, random) fills fresh parameters (Glorot-uniform weights, zero biases,
//                                 BatchNormalization's moving variance at 1)
//   B::scratch_floats             floats of temporary memory forward and backward may use
//                                 (one sample's im2col windows); the workspace provides it
//   B::forward_scratch_floats     optional: the part of it forward alone uses (and train_forward,
//                                 where a run outside training calls it), at most scratch_floats;
//                                 scratch_floats if not declared. Inference workspaces provide
//                                 only this much (a convolution's forward lays out a few pixels'
//                                 windows at a time, its backward a whole image's)
//   B::forward<Arch>(params, x, y, rows, scratch)
//   B::backward<Arch>(params, x, y, dy, dx, grad_params, rows, scratch)
//       dy arrives holding dLoss/dy and may be overwritten; grad_params is written
//       (not accumulated), 0 for tensors the optimizer does not train; dx is
//       written unless it is null (no one needs it).
// forward and backward are the inference phase. A layer that computes
// otherwise in training (Dropout, BatchNormalization) has, optionally:
//   B::train_forward<Arch>(params, x, y, rows, scratch, const TrainingPass& pass)
//   B::train_backward<Arch>(params, x, y, dy, dx, grad_params, rows, scratch, pass)
//       which the trainer runs instead; pass says which step, layer and rows
//       they are (TrainingPass below). And a layer that needs statistics of the
//       whole batch, not only of the rows one thread has (BatchNormalization):
//   B::batch_sums                 how many doubles of sums it needs, forward and backward
//   B::sum_forward<Arch>(x, rows, sums)                   writes its rows' share of the forward sums
//   B::sum_backward<Arch>(params, x, dy, rows, pass, sums) the same of backward's
//   B::learn(params, pass)        once a step has landed: updates what the layer
//                                 learns from batches (its moving statistics)
//       The trainer adds the shares' sums in share order and hands the totals to
//       train_forward and train_backward in pass.
// A layer with a training phase may add a loss term of its own (Keras's
// add_loss; Sampling's KL divergence), one number a row, averaged over the
// batch's rows and added to the loss:
//   B::loss_term_name             its name on the progress line and in the history ("kl_loss")
//   B::loss_term<Arch>(params, x, y, rows)  the sum of the rows' terms, from the
//                                 layer's input and output
//       and its train_backward adds pass.loss_term_scale times the term's
//       derivative into dx, so the gradient is that of the loss with the term.
// A layer that draws random numbers (Sampling) may draw them outside training
// too, where the program asks for draws (model.hpp's Draws):
//   B::draws_in_evaluation        true: such a run calls its train_forward with
//                                 a pass of step 0, which no training step has
// Optional:
//   B::describe_settings(text)    writes the words of the architecture text that
//                                 say how the layer computes beyond its shapes and
//                                 tensors ("relu k3 s2 pad(0,0)"): every setting
//                                 that changes what it computes, so that model
//                                 files are keyed to it (compile_time_text.hpp)
// Skip connections: a layer type with a `tag` (Tag<"a">) names the activation
// it passes on; one with `reads` (Add<"a">, Concatenate<"a">) is a merge: it
// reads, beside its input, the activation that tag names, and is bound to both
// shapes, Bound<In, Skip>, with input_check<layer_index<I>, In, Skip>:
//   B::forward<Arch>(params, x, skip, y, rows, scratch)
//   B::backward<Arch>(params, x, skip, y, dy, dx, dskip, grad_params, rows, scratch)
//       dskip, like dx, is written unless it is null. The graph adds each
//       merge's dskip into the tagged activation's gradient, so an activation
//       that feeds several layers receives the sum of their gradients.
// Optional on the layer type (Dense<64, Sigmoid>):
//   activation, with_activation<A>   its element-wise activation, and the same
//                                    layer with activation A on the same
//                                    parameters: a binary crossentropy after a
//                                    sigmoid then trains on the logits (loss_input.hpp)
// Each layer type also has input_check<layer_index<I>, Shape>, whose ::value says
// whether it accepts that input; when it does not, instantiating it fails with a
// message the user can act on, and the compiler's note names the layer's index,
// its type and the shape it was given.
#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "typenet/compile_time_error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/random.hpp"
#include "typenet/shape.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Appears in compiler notes as typenet::layer_index<3>: the position in the model's layer list.
template <std::size_t Index>
struct layer_index {
    static constexpr std::size_t value = Index;
};

// How PyTorch's state_dict() lays out a tensor. Keras keeps channels last,
// PyTorch first: with channels_first, PyTorch's axes are typenet's last, its
// second to last, then the others in order, as in
//   Dense            kernel (in, out)          -> Linear.weight          (out, in)
//   Conv2D           kernel (kh, kw, in, out)  -> Conv2d.weight          (out, in, kh, kw)
//   Conv2DTranspose  kernel (kh, kw, out, in)  -> ConvTranspose2d.weight (in, out, kh, kw)
enum class TorchAxes { same, channels_first };

// What a tensor is to training. Keras counts the trained tensors as
// trainable parameters and the statistics as non-trainable ones; the counter
// is PyTorch's num_batches_tracked, kept so that a state_dict loads strictly,
// an int64 there and a float here (exact to 2^24 batches).
enum class TensorRole {
    trained,    // the optimizer's (kernels, biases, BatchNormalization's gamma and beta)
    statistic,  // the layer's own, learnt from batches in training (moving mean and variance)
    counter,    // how many batches the statistics have seen
};

// A named tensor inside a layer's parameters, with its shape as Keras stores
// it, and the attribute of the PyTorch module that holds it ("weight"; empty
// for a layer PyTorch has no module for, which then cannot be exported).
// A layer's trained tensors come first: the optimizer trains a prefix of its parameters.
struct TensorInfo {
    std::string_view name;
    std::size_t offset;  // in floats, from the layer's first parameter
    std::size_t rank;
    std::array<std::size_t, 4> dims;
    std::string_view torch_name = {};
    TorchAxes torch_axes = TorchAxes::same;
    TensorRole role = TensorRole::trained;
    constexpr std::size_t size() const {
        std::size_t n = 1;
        for (std::size_t i = 0; i < rank; ++i) n *= dims[i];
        return n;
    }
};

// Which computation a layer runs: training's (dropout masks, batch
// statistics) or inference's. A compile-time choice: inference carries no
// cost of training's.
enum class Phase { inference, training };

// What a layer's training pass is told. Randomness in training is keyed by
// (seed, step, layer, row of the whole batch), never by thread: the masks are
// the same whoever runs the rows, and a resumed run draws what an unbroken one does.
struct TrainingPass {
    std::uint64_t seed = 0;
    std::int64_t step = 1;          // the number of the step being taken, counted from 1
    std::size_t layer = 0;          // the layer's index in the model
    std::size_t first_row = 0;      // the row of the whole batch that this call's row 0 is
    std::size_t batch_rows = 0;     // rows in the whole batch
    const double* batch_sums = nullptr;     // a batch-statistics layer's forward sums over the whole batch
    const double* gradient_sums = nullptr;  // and its backward sums, in train_backward
    float loss_term_scale = 0.0f;           // the weight of a row's loss term in the loss: 1 / batch_rows
};

// The name of an earlier activation that a later layer reads again:
// Tag<"a"> names its input "a", Concatenate<"a"> reads it. Letters, digits and
// underscores, at most 23 of them, as a Keras layer name or a C++ identifier.
struct TagName {
    static constexpr std::size_t max_size = 23;
    std::array<char, max_size + 1> chars{};
    std::size_t size = 0;

    template <std::size_t N>
    consteval TagName(const char (&text)[N]) {  // NOLINT: implicit, so that Tag<"a"> reads as written
        if (N < 2 || N - 1 > max_size) refuse_at_compile_time("typenet: a tag's name has 1 to 23 characters");
        for (std::size_t i = 0; i + 1 < N; ++i) {
            const char c = text[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                refuse_at_compile_time("typenet: a tag's name has only letters, digits and underscores");
            chars[i] = c;
        }
        size = N - 1;
    }
    // The empty name, which no Tag can have.
    static constexpr TagName none() { return TagName(); }
    constexpr std::string_view view() const { return {chars.data(), size}; }
    friend constexpr bool operator==(const TagName&, const TagName&) = default;

private:
    constexpr TagName() = default;
};

template <class L>
concept TagLayer = requires {
    { L::tag } -> std::convertible_to<TagName>;
};
template <class L>
concept MergeLayer = requires {
    { L::reads } -> std::convertible_to<TagName>;
};

// The contract, one requirement at a time, so that a layer that breaks it is
// told which part (see layer_contract below).
template <class B>
concept HasShapes = requires {
    requires is_shape<typename B::input_shape>;
    requires is_shape<typename B::output_shape>;
};
template <class B>
concept HasSizes = requires {
    { B::parameter_count } -> std::convertible_to<std::size_t>;
    { B::scratch_floats } -> std::convertible_to<std::size_t>;
    { B::is_view } -> std::convertible_to<bool>;
};
template <class B>
concept HasKind = requires {
    { B::kind } -> std::convertible_to<std::string_view>;
};
template <class B>
concept HasTensors = requires {
    { B::tensors.size() } -> std::convertible_to<std::size_t>;
    { B::tensors[0] } -> std::convertible_to<const TensorInfo&>;
};
template <class B>
concept HasInitialize = requires(float* p, Random& random) { B::initialize(p, random); };
template <class B>
concept HasForward = requires(const float* cp, float* p, std::size_t rows) {
    B::template forward<kernels::native_arch>(cp, cp, p, rows, p);
};
template <class B>
concept HasBackward = requires(const float* cp, float* p, std::size_t rows) {
    B::template backward<kernels::native_arch>(cp, cp, cp, p, p, p, rows, p);
};
// A merge's forward and backward take the skip beside the input.
template <class B>
concept HasMergeForward = requires(const float* cp, float* p, std::size_t rows) {
    B::template forward<kernels::native_arch>(cp, cp, cp, p, rows, p);
};
template <class B>
concept HasMergeBackward = requires(const float* cp, float* p, std::size_t rows) {
    B::template backward<kernels::native_arch>(cp, cp, cp, cp, p, p, p, p, rows, p);
};

// The scratch forward needs: what the layer declares, else all its scratch.
template <class B>
constexpr std::size_t forward_scratch_floats_of() {
    if constexpr (requires { B::forward_scratch_floats; }) return B::forward_scratch_floats;
    else return B::scratch_floats;
}

// The optional training phase (see the contract at the top).
template <class B>
concept HasTrainingPhase = requires(const float* cp, float* p, std::size_t rows, const TrainingPass& pass) {
    B::template train_forward<kernels::native_arch>(cp, cp, p, rows, p, pass);
    B::template train_backward<kernels::native_arch>(cp, cp, cp, p, p, p, rows, p, pass);
};
template <class B>
concept HasBatchStatistics =
    HasTrainingPhase<B> &&
    requires(const float* cp, float* p, std::size_t rows, const TrainingPass& pass, double* sums) {
        { B::batch_sums } -> std::convertible_to<std::size_t>;
        B::template sum_forward<kernels::native_arch>(cp, rows, sums);
        B::template sum_backward<kernels::native_arch>(cp, cp, cp, rows, pass, sums);
        B::learn(p, pass);
    };

// A loss term of the layer's own (see the contract at the top).
template <class B>
concept HasLossTerm = HasTrainingPhase<B> && requires(const float* cp, std::size_t rows) {
    { B::loss_term_name } -> std::convertible_to<std::string_view>;
    { B::template loss_term<kernels::native_arch>(cp, cp, cp, rows) } -> std::convertible_to<double>;
};
// Draws its random numbers where a run outside training asks for draws.
template <class B>
concept DrawsInEvaluation = HasTrainingPhase<B> && requires {
    requires B::draws_in_evaluation;
};

// The floats of a layer's parameters the optimizer trains: its trained
// tensors, which come first (checked by the contract).
template <std::size_t N>
constexpr std::size_t trained_floats(const std::array<TensorInfo, N>& tensors) {
    std::size_t end = 0;
    for (const TensorInfo& tensor : tensors)
        if (tensor.role == TensorRole::trained) end = std::max(end, tensor.offset + tensor.size());
    return end;
}
template <std::size_t N>
constexpr bool trained_tensors_first(const std::array<TensorInfo, N>& tensors) {
    for (const TensorInfo& tensor : tensors)
        if (tensor.role != TensorRole::trained && tensor.offset < trained_floats(tensors)) return false;
    return true;
}

// Whether the tensors lie inside [0, parameter_count) without overlapping and
// fill it: every parameter belongs to exactly one tensor, so files and
// optimizers that go by tensors see every parameter once.
template <std::size_t N>
constexpr bool tensors_cover(const std::array<TensorInfo, N>& tensors, std::size_t parameter_count) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < N; ++i) {
        if (tensors[i].offset + tensors[i].size() > parameter_count) return false;
        for (std::size_t j = 0; j < i; ++j)
            if (tensors[i].offset < tensors[j].offset + tensors[j].size() &&
                tensors[j].offset < tensors[i].offset + tensors[i].size())
                return false;
        total += tensors[i].size();
    }
    return total == parameter_count;
}

template <class B>
concept BoundLayer = HasShapes<B> && HasSizes<B> && HasKind<B> && HasTensors<B> && HasInitialize<B> &&
                     HasForward<B> && HasBackward<B> && tensors_cover(B::tensors, B::parameter_count);

// Checked where a model binds each layer to its input. When a layer breaks the
// contract, the compiler's note names it as
// layer_contract<layer_index<I>, TheLayer<...>::Bound<Shape<...>>> above a
// sentence that says which member is missing or wrong.
template <class Index, class B, bool Merge>
struct contract_checks {
    static constexpr bool shapes = HasShapes<B>;
    static_assert(shapes, "typenet: a layer's Bound must declare input_shape and output_shape as Shape<...>");
    static constexpr bool sizes = HasSizes<B>;
    static_assert(sizes, "typenet: a layer's Bound must declare parameter_count, scratch_floats (std::size_t) and "
                         "is_view (bool)");
    static constexpr bool forward_scratch = [] {
        if constexpr (sizes) return forward_scratch_floats_of<B>() <= B::scratch_floats;
        else return true;
    }();
    static_assert(forward_scratch, "typenet: a layer's forward_scratch_floats (the scratch its forward uses) must not "
                                   "exceed its scratch_floats (what forward and backward use): training runs forward "
                                   "in that scratch");
    static constexpr bool kind = HasKind<B>;
    static_assert(kind, "typenet: a layer's Bound must declare its kind, a std::string_view such as \"Dense\"");
    static constexpr bool tensors = HasTensors<B>;
    static_assert(tensors, "typenet: a layer's Bound must declare tensors, a std::array<TensorInfo, N> (N may be 0)");
    static constexpr bool initialize = HasInitialize<B>;
    static_assert(initialize, "typenet: a layer's Bound must have static void initialize(float* params, Random&)");
    static constexpr bool forward = Merge ? HasMergeForward<B> : HasForward<B>;
    static_assert(forward || Merge, "typenet: a layer's Bound must have template <class Arch> static void "
                                    "forward(const float* params, const float* x, float* y, std::size_t rows, "
                                    "float* scratch)");
    static_assert(forward || !Merge, "typenet: a merge's Bound must have template <class Arch> static void "
                                     "forward(const float* params, const float* x, const float* skip, float* y, "
                                     "std::size_t rows, float* scratch)");
    static constexpr bool backward = Merge ? HasMergeBackward<B> : HasBackward<B>;
    static_assert(backward || Merge, "typenet: a layer's Bound must have template <class Arch> static void "
                                     "backward(const float* params, const float* x, const float* y, float* dy, "
                                     "float* dx, float* grad_params, std::size_t rows, float* scratch)");
    static_assert(backward || !Merge, "typenet: a merge's Bound must have template <class Arch> static void "
                                      "backward(const float* params, const float* x, const float* skip, const "
                                      "float* y, float* dy, float* dx, float* dskip, float* grad_params, "
                                      "std::size_t rows, float* scratch)");
    static constexpr bool covered = [] {
        if constexpr (sizes && tensors) return tensors_cover(B::tensors, B::parameter_count);
        else return true;
    }();
    static_assert(covered, "typenet: a layer's tensors must cover its parameter_count floats exactly once (no gap, "
                           "no overlap)");
    static constexpr bool trained_first = [] {
        if constexpr (tensors) return trained_tensors_first(B::tensors);
        else return true;
    }();
    static_assert(trained_first, "typenet: a layer's trained tensors must come before its statistics and counters "
                                 "in its parameters (the optimizer trains a prefix)");
    static constexpr bool value =
        shapes && sizes && forward_scratch && kind && tensors && initialize && forward && backward && covered &&
        trained_first;
};
template <class Index, class B>
struct layer_contract : contract_checks<Index, B, false> {};
// The same of a merge (Add, Concatenate), whose forward and backward also take the skip.
template <class Index, class B>
struct merge_contract : contract_checks<Index, B, true> {};

// A layer type itself (the description in the model's list) has input_check
// and Bound templates; checked before anything is asked of either.
// A merge's type: input_check and Bound over its input and its skip.
template <class Index, class Layer, class In, class Skip>
struct merge_type_check {
    static constexpr bool value = requires {
        { Layer::template input_check<Index, In, Skip>::value } -> std::convertible_to<bool>;
        typename Layer::template Bound<In, Skip>;
    };
    static_assert(value, "typenet: a merge's type must have template <class Index, class In, class Skip> struct "
                         "input_check (with a bool value) and template <class In, class Skip> struct (or alias) "
                         "Bound");
};

template <class Index, class Layer, class In>
struct layer_type_check {
    static constexpr bool value = requires {
        { Layer::template input_check<Index, In>::value } -> std::convertible_to<bool>;
        typename Layer::template Bound<In>;
    };
    static_assert(value, "typenet: a layer type must have template <class Index, class In> struct input_check "
                         "(with a bool value) and template <class In> struct (or alias) Bound");
};

// Glorot (Xavier) uniform, Keras's default kernel initializer.
inline void glorot_uniform(float* weights, std::size_t count, std::size_t fan_in, std::size_t fan_out,
                           Random& random) {
    const float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
    for (std::size_t i = 0; i < count; ++i) weights[i] = random.uniform(-limit, limit);
}

}  // namespace typenet
