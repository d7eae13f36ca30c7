#pragma once
// Model<Input<28, 28>, Encoder, Decoder>: the parameters of a network whose
// shape is its type. A model holds only its parameters; activations live in a
// Workspace of a compile-time batch capacity, so one model serves many
// workspaces (batch 1 for inference, 32 for training, one per thread).
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/graph.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/memory.hpp"
#include "typenet/random.hpp"
#include "typenet/shape.hpp"
#include "typenet/type_list.hpp"

namespace typenet {

template <class M, std::size_t Capacity>
class Workspace;

template <class M, std::size_t First, std::size_t Last>
class Part;

template <class InputSpec, class... Parts>
class Model {
    static_assert(requires { typename InputSpec::shape; },
                  "typenet: a Model's first argument is its input, e.g. Model<Input<28, 28>, Encoder, Decoder>");
    static_assert(sizeof...(Parts) > 0, "typenet: a Model needs at least one layer");

public:
    using graph = Graph<typename InputSpec::shape, layers_of_parts<Parts...>>;
    using input_shape = typename graph::input_shape;
    using output_shape = typename graph::output_shape;
    static constexpr std::size_t layer_count = graph::layer_count;
    static constexpr std::size_t parameter_count = graph::parameter_count;
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

    std::span<float> parameters() { return parameters_.span(); }
    std::span<const float> parameters() const { return parameters_.span(); }

    // The whole model: rows of inputs in, rows of outputs out (a view into the workspace).
    template <class Arch = kernels::native_arch, std::size_t Capacity>
    std::span<const float> operator()(Workspace<Model, Capacity>& workspace, std::span<const float> inputs) const {
        return Part<Model, 0, layer_count>(*this).template operator()<Arch>(workspace, inputs);
    }

    // A named part on its own: part<Encoder>() or part<0>().
    template <std::size_t P>
    Part<Model, part_bounds[P], part_bounds[P + 1]> part() const {
        static_assert(P < part_count, "typenet: the model has fewer parts than that");
        return Part<Model, part_bounds[P], part_bounds[P + 1]>(*this);
    }
    template <class Named>
    auto part() const {
        constexpr std::size_t p = detail::index_of<Named, Parts...>();
        static_assert(p < part_count, "typenet: that part is not one of this model's parts");
        return part<p>();
    }

private:
    AlignedFloats parameters_;
};

// Activations (and their gradients) for up to Capacity rows: one allocation
// each, made here, never again.
template <class M, std::size_t Capacity>
class Workspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;

public:
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
    std::size_t rows() const { return rows_; }
    void set_rows(std::size_t rows) { rows_ = rows; }
    std::size_t bytes() const { return (activations_.size() + gradients_.size() + scratch_.size()) * sizeof(float); }

private:
    AlignedFloats activations_, gradients_, scratch_;
    std::array<float*, graph::layer_count + 1> activation_{};
    std::array<float*, graph::layer_count + 1> gradient_{};
    std::size_t rows_ = 0;
};

// Layers First..Last-1 of a model, run on their own. The model's forward is
// Part<0, n>, so running the parts in turn gives the model's output bit for bit.
template <class M, std::size_t First, std::size_t Last>
class Part {
    using graph = typename M::graph;

public:
    using input_shape = typename graph::template shape_at<First>;
    using output_shape = typename graph::template shape_at<Last>;

    explicit Part(const M& model) : model_(&model) {}

    template <class Arch = kernels::native_arch, std::size_t Capacity>
    std::span<const float> operator()(Workspace<M, Capacity>& workspace, std::span<const float> inputs) const {
        constexpr std::size_t row_size = input_shape::size;
        if (inputs.size() % row_size != 0 || inputs.empty() || inputs.size() / row_size > Capacity)
            throw UsageError(fmt::format(
                "typenet: expected 1 to {} rows of {} floats, got {} floats", Capacity, row_size, inputs.size()));
        const std::size_t rows = inputs.size() / row_size;
        float* first = workspace.activation(First);
        // The input may already sit in the workspace, e.g. codes the encoder just wrote there.
        if (inputs.data() != first) std::memmove(first, inputs.data(), inputs.size_bytes());
        workspace.set_rows(rows);
        forward<First, Last, Arch>(model_->parameters().data(), workspace, rows);
        return {workspace.activation(Last), rows * output_shape::size};
    }

    template <std::size_t From, std::size_t To, class Arch, std::size_t Capacity>
    static void forward(const float* parameters, Workspace<M, Capacity>& workspace, std::size_t rows) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (graph::template bound<From + I>::template forward<Arch>(parameters + graph::parameter_offsets[From + I],
                                                                     workspace.activation(From + I),
                                                                     workspace.activation(From + I + 1), rows,
                                                                     workspace.scratch()),
             ...);
        }(std::make_index_sequence<To - From>{});
    }

private:
    const M* model_;
};

}  // namespace typenet
