#pragma once
// Model<Input<28, 28>, Encoder, Decoder>: the parameters of a network whose
// shape is its type. A model holds only its parameters; activations live in a
// Workspace of a compile-time batch capacity, so one model serves many
// workspaces (batch 1 for inference, 32 for training, one per thread).
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/graph.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/memory.hpp"
#include "typenet/random.hpp"
#include "typenet/shape.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <class M, std::size_t Capacity>
class Workspace;

namespace detail {
template <class P>
struct part_name_of {
    using type = P;
};
template <class P>
    requires requires { typename P::trained_part; }
struct part_name_of<P> {
    using type = typename P::trained_part;
};
template <class P>
using part_name = typename part_name_of<P>::type;
}  // namespace detail

template <class M, std::size_t First, std::size_t Last>
class Part;

// What runs a model given its parameters: the whole (operator()) or a named
// part (part<Encoder>(), part<0>()). Model owns its parameters; ModelView
// runs parameters that live elsewhere (an exported header, a memory map).
template <class Derived, class M>
class Runs {
public:
    // Rows of inputs in, rows of outputs out (a view into the workspace).
    template <class Arch = kernels::native_arch, class W>
    std::span<const float> operator()(W& workspace, std::span<const float> inputs) const {
        return Part<M, 0, M::layer_count>(parameter_data()).template operator()<Arch>(workspace, inputs);
    }

    template <std::size_t P>
    auto part() const {
        static_assert(P < M::part_count, "typenet: the model has fewer parts than that");
        return Part<M, M::part_bounds[P], M::part_bounds[P + 1]>(parameter_data());
    }
    template <class Named>
    auto part() const {
        constexpr std::size_t p = M::template part_index<Named>;
        static_assert(p < M::part_count, "typenet: that part is not one of this model's parts");
        return part<p>();
    }

private:
    const float* parameter_data() const { return static_cast<const Derived&>(*this).parameters().data(); }
};

template <class InputSpec, class... Parts>
class Model : public Runs<Model<InputSpec, Parts...>, Model<InputSpec, Parts...>> {
    static_assert(requires { typename InputSpec::shape; },
                  "typenet: a Model's first argument is its input, e.g. Model<Input<28, 28>, Encoder, Decoder>");
    static_assert(sizeof...(Parts) > 0, "typenet: a Model needs at least one layer");

public:
    using graph = Graph<typename InputSpec::shape, layers_of_parts<Parts...>>;
    using input_shape = typename graph::input_shape;
    using output_shape = typename graph::output_shape;
    static constexpr std::size_t layer_count = graph::layer_count;
    static constexpr std::size_t parameter_count = graph::parameter_count;
    static constexpr std::size_t trainable_parameter_count = graph::trainable_parameter_count;
    static constexpr std::size_t non_trainable_parameter_count = graph::non_trainable_parameter_count;
    // As given: named parts (Sequential) and single layers.
    using parts = TypeList<Parts...>;
    static constexpr std::size_t part_count = sizeof...(Parts);

    // The layer index where each named part begins; part_bounds[part_count] == layer_count.
    static constexpr std::array<std::size_t, part_count + 1> part_bounds = [] {
        std::array<std::size_t, part_count + 1> bounds{};
        constexpr std::size_t sizes[] = {detail::layers_of<Parts>::type::size...};
        for (std::size_t p = 0; p < part_count; ++p) bounds[p + 1] = bounds[p] + sizes[p];
        return bounds;
    }();

    // Fresh parameters: Glorot-uniform weights and zero biases drawn from seed.
    explicit Model(std::uint64_t seed = 0) : parameters_(parameter_count) {
        Random random(seed);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (graph::template bound<I>::initialize(parameters_.data() + graph::parameter_offsets[I], random), ...);
        }(std::make_index_sequence<layer_count>{});
    }

    // A part by its name; an inference form's parts answer to their trained parts' names.
    template <class Named>
    static constexpr std::size_t part_index = detail::index_of<Named, detail::part_name<Parts>...>();

    std::span<float> parameters() { return parameters_.span(); }
    std::span<const float> parameters() const { return parameters_.span(); }

private:
    AlignedFloats parameters_;
};

// A model's network over parameters it does not own, e.g. the constexpr array
// of an exported header: no allocation, no copy.
template <class M>
class ModelView : public Runs<ModelView<M>, M> {
public:
    using graph = typename M::graph;
    using input_shape = typename M::input_shape;
    using output_shape = typename M::output_shape;
    explicit constexpr ModelView(std::span<const float, M::parameter_count> parameters) : parameters_(parameters) {}
    std::span<const float> parameters() const { return parameters_; }

private:
    std::span<const float, M::parameter_count> parameters_;
};

// Activations (and their gradients) for up to Capacity rows: one allocation
// each, made here, never again.
template <class M, std::size_t Capacity>
class Workspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;

public:
    using model_type = M;
    static constexpr std::size_t capacity = Capacity;

    Workspace() {
        std::array<std::size_t, graph::buffer_count> buffer_sizes{};
        for (std::size_t i = 0; i <= graph::layer_count; ++i)
            buffer_sizes[graph::buffer_of[i]] = align_up(Capacity * graph::activation_sizes[i]);
        std::array<std::size_t, graph::buffer_count> buffer_offsets{};
        std::size_t total = 0;
        for (std::size_t b = 0; b < graph::buffer_count; ++b) {
            buffer_offsets[b] = total;
            total += buffer_sizes[b];
        }
        activations_ = AlignedFloats(total);
        scratch_ = AlignedFloats(graph::scratch_floats);
        gradients_ = AlignedFloats(total);
        for (std::size_t i = 0; i <= graph::layer_count; ++i) {
            activation_[i] = activations_.data() + buffer_offsets[graph::buffer_of[i]];
            gradient_[i] = gradients_.data() + buffer_offsets[graph::buffer_of[i]];
        }
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    // Activation i is the input of layer i; activation(layer_count) is the model's output.
    float* activation(std::size_t i) { return activation_[i]; }
    float* gradient(std::size_t i) { return gradient_[i]; }
    float* scratch() { return scratch_.data(); }
    std::size_t bytes() const { return (activations_.size() + gradients_.size() + scratch_.size()) * sizeof(float); }

private:
    AlignedFloats activations_, gradients_, scratch_;
    std::array<float*, graph::layer_count + 1> activation_{};
    std::array<float*, graph::layer_count + 1> gradient_{};
};

// Activations for up to Capacity rows inside the object itself, for inference
// with no heap at all (declare it static, or on a large enough stack).
template <class M, std::size_t Capacity>
class InlineWorkspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;

    static constexpr auto offsets = [] {
        std::array<std::size_t, graph::layer_count + 2> at{};  // at[i]: activation i; at[n + 1]: scratch
        std::array<std::size_t, graph::buffer_count + 1> buffer{};
        for (std::size_t i = 0; i <= graph::layer_count; ++i)
            buffer[graph::buffer_of[i] + 1] = align_up(Capacity * graph::activation_sizes[i]);
        for (std::size_t b = 0; b < graph::buffer_count; ++b) buffer[b + 1] += buffer[b];
        for (std::size_t i = 0; i <= graph::layer_count; ++i) at[i] = buffer[graph::buffer_of[i]];
        at[graph::layer_count + 1] = buffer[graph::buffer_count];
        return at;
    }();

public:
    using model_type = M;
    static constexpr std::size_t capacity = Capacity;
    float* activation(std::size_t i) { return floats_.data() + offsets[i]; }
    float* scratch() { return floats_.data() + offsets[graph::layer_count + 1]; }

private:
    alignas(alignment_bytes) std::array<float, offsets[graph::layer_count + 1] + graph::scratch_floats> floats_{};
};

// Where a forward pass keeps its activations: Workspace or InlineWorkspace.
template <class W, class M>
concept ForwardWorkspace = std::same_as<typename W::model_type, M> && requires(W& w, std::size_t i) {
    { W::capacity } -> std::convertible_to<std::size_t>;
    { w.activation(i) } -> std::same_as<float*>;
    { w.scratch() } -> std::same_as<float*>;
};

// Layers First..Last-1 of a model, run on their own. The model's forward is
// Part<0, n>, so running the parts in turn gives the model's output bit for bit.
template <class M, std::size_t First, std::size_t Last>
class Part {
    using graph = typename M::graph;

public:
    using input_shape = typename graph::template shape_at<First>;
    using output_shape = typename graph::template shape_at<Last>;

    explicit Part(const float* parameters) : parameters_(parameters) {}

    template <class Arch = kernels::native_arch, ForwardWorkspace<M> W>
    std::span<const float> operator()(W& workspace, std::span<const float> inputs) const {
        constexpr std::size_t row_size = input_shape::size;
        if (inputs.size() % row_size != 0 || inputs.empty() || inputs.size() / row_size > W::capacity)
            throw UsageError(fmt::format("typenet: expected 1 to {} rows of {} floats, got {} floats", W::capacity,
                                         row_size, inputs.size()));
        const std::size_t rows = inputs.size() / row_size;
        // The first layer reads the input where it is (copying one image costs
        // a tenth of a dense inference), unless the part has no work (its output
        // is its input) or would overwrite it (the input is one of this
        // workspace's later activations, or its scratch).
        bool in_place = graph::buffer_of[Last] != graph::buffer_of[First];
        const auto overlaps_input = [&](const float* first_written, std::size_t count) {
            const auto address = [](const float* p) { return reinterpret_cast<std::uintptr_t>(p); };
            return address(inputs.data()) < address(first_written + count) &&
                   address(first_written) < address(inputs.data() + inputs.size());
        };
        if (overlaps_input(workspace.scratch(), graph::scratch_floats)) in_place = false;
        for (std::size_t i = First + 1; i <= Last; ++i)
            if (graph::buffer_of[i] != graph::buffer_of[First] &&
                overlaps_input(workspace.activation(i), rows * graph::activation_sizes[i]))
                in_place = false;
        float* first = workspace.activation(First);
        if (!in_place && inputs.data() != first) std::memmove(first, inputs.data(), inputs.size_bytes());
        forward<First, Last, Arch>(parameters_, workspace, in_place ? inputs.data() : first, rows);
        return {workspace.activation(Last), rows * output_shape::size};
    }

    // Layers From..To-1 on rows of input; those that read the input's buffer
    // (through views) read input instead, wherever it is.
    template <std::size_t From, std::size_t To, class Arch, class W>
    static void forward(const float* parameters, W& workspace, const float* input, std::size_t rows) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (graph::template bound<From + I>::template forward<Arch>(
                 parameters + graph::parameter_offsets[From + I],
                 graph::buffer_of[From + I] == graph::buffer_of[From] ? input : workspace.activation(From + I),
                 workspace.activation(From + I + 1), rows, workspace.scratch()),
             ...);
        }(std::make_index_sequence<To - From>{});
    }

private:
    const float* parameters_;
};

}  // namespace typenet
