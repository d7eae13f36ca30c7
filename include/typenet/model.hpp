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

#if defined(__cpp_exceptions)  // to word the exceptions' messages; an app built without needs no fmt
#include <fmt/format.h>
#endif

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

// Draws asked of a run outside training: the layers that draw random numbers
// there (Sampling: layer.hpp's draws_in_evaluation) draw them from seed, each
// row's keyed by its row of the data, first_row for the run's first; the
// other layers run as in inference (Dropout passes its input through).
//   const auto decoded = vae(workspace, images, tn::Draws{.seed = 7});
// first_row numbers the rows: a program that runs a set batch by batch
// gives each batch its first row's index in the set, or every batch draws
// the same numbers (evaluate does so itself).
struct Draws {
    std::uint64_t seed = 0;
    std::size_t first_row = 0;
};

namespace detail {
// Named in the compiler's note when a merge and the Tag it reads are in different parts.
template <class Index, class Merge, bool SamePart>
struct skip_within_part {
    static constexpr bool value = SamePart;
    static_assert(value, "typenet: this merge reads a Tag outside its part; a skip connection may not cross the "
                         "boundary of a named part (a Sequential), since a part runs on its own input alone "
                         "(part<Decoder>() is given one input): put the Tag and the merges that read it in one part");
};
}  // namespace detail

// What runs a model given its parameters: the whole (operator()) or a named
// part (part<Encoder>(), part<0>()). Model owns its parameters; ModelView
// runs parameters that live elsewhere (an exported header, a memory map).
template <class Derived, class M>
class Runs {
public:
    // Rows of inputs in, rows of outputs out (a view into the workspace);
    // with draws, the layers that draw (Sampling) draw, as Draws says.
    template <class Arch = kernels::native_arch, class W>
    std::span<const float> operator()(W& workspace, std::span<const float> inputs) const {
        return Part<M, 0, M::layer_count>(parameter_data()).template operator()<Arch>(workspace, inputs);
    }
    template <class Arch = kernels::native_arch, class W>
    std::span<const float> operator()(W& workspace, std::span<const float> inputs, const Draws& draws) const {
        return Part<M, 0, M::layer_count>(parameter_data()).template operator()<Arch>(workspace, inputs, draws);
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
    // The bytes the parameters take (a model's block; an exported header's array takes parameter_count floats).
    static constexpr std::size_t parameter_bytes = aligned_bytes(parameter_count);
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

private:
    // The named part that holds a layer, or the run of single layers between
    // named parts: a skip stays inside one.
    static constexpr std::size_t region_of_layer(std::size_t layer) {
        constexpr bool named[] = {SequentialPart<detail::part_name<Parts>>...};
        std::size_t region = 0;
        for (std::size_t p = 0; part_bounds[p + 1] <= layer; ++p)
            if (named[p] || named[p + 1]) ++region;
        return region;
    }
    static constexpr bool skips_stay_in_parts() {
        if constexpr (!graph::has_skips) return true;
        else
            return []<class... Layers, std::size_t... I>(TypeList<Layers...>, std::index_sequence<I...>) {
                return (detail::skip_within_part<layer_index<I>, Layers,
                                                 !graph::reads_skip(I) ||
                                                     region_of_layer(graph::skip_of[I]) == region_of_layer(I)>::value &&
                        ...);
            }(typename graph::layer_list{}, std::make_index_sequence<layer_count>{});
    }
    static_assert(skips_stay_in_parts());

public:

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

// Activations and their gradients for up to Capacity rows, as training
// needs them (graph.hpp: every value kept, the gradients planned by their
// lifetimes): one allocation each, made here, never again.
template <class M, std::size_t Capacity>
class Workspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;
    static constexpr auto& activation_plan = graph::training_plan;
    static constexpr auto& gradient_plan = graph::gradient_plan;

public:
    using model_type = M;
    static constexpr std::size_t capacity = Capacity;
    // What it holds, in floats: compile-time constants.
    static constexpr std::size_t activation_floats = activation_plan.floats(Capacity);
    static constexpr std::size_t gradient_floats = gradient_plan.floats(Capacity);
    // Forward's and backward's: the largest any layer needs.
    static constexpr std::size_t scratch_floats = graph::scratch_floats;
    // The bytes it allocates: activations, gradients and scratch.
    static constexpr std::size_t bytes =
        aligned_bytes(activation_floats) + aligned_bytes(gradient_floats) + aligned_bytes(scratch_floats);

    Workspace()
        : activations_(activation_floats), gradients_(gradient_floats), scratch_(scratch_floats) {
        for (std::size_t i = 0; i <= graph::layer_count; ++i) {
            const std::size_t v = graph::value_of[i];
            activation_[i] = activations_.data() + activation_plan.offset(v, Capacity);
            gradient_[i] = gradients_.data() + gradient_plan.offset(v, Capacity);
        }
        for (std::size_t m = 0; m < graph::layer_count; ++m)
            if (graph::reads_skip(m))
                skip_gradient_[m] = gradients_.data() + gradient_plan.offset(graph::skip_gradient_entry(m), Capacity);
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    // Activation i is the input of layer i; activation(layer_count) is the model's output.
    float* activation(std::size_t i) { return activation_[i]; }
    // dLoss/d(activation i), in a backward pass; gradients of values not
    // alive at once share memory, so only the one backward is at holds.
    float* gradient(std::size_t i) { return gradient_[i]; }
    // Where merge m writes the gradient of the activation it reads beside its input.
    float* skip_gradient(std::size_t m) { return skip_gradient_[m]; }
    float* scratch() { return scratch_.data(); }

private:
    AlignedFloats activations_, gradients_, scratch_;
    std::array<float*, graph::layer_count + 1> activation_{};
    std::array<float*, graph::layer_count + 1> gradient_{};
    std::array<float*, graph::layer_count> skip_gradient_{};
};

// Activations for up to Capacity rows, planned for inference: a value no
// later layer reads gives its memory to a later one (graph.hpp).
template <class M, std::size_t Capacity>
class InferenceWorkspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;
    static constexpr auto& plan = graph::inference_plan;

public:
    using model_type = M;
    static constexpr std::size_t capacity = Capacity;
    static constexpr std::size_t activation_floats = plan.floats(Capacity);
    // Forward's alone: the largest any layer's forward needs.
    static constexpr std::size_t scratch_floats = graph::forward_scratch_floats;
    // The bytes it allocates: activations and scratch.
    static constexpr std::size_t bytes = aligned_bytes(activation_floats + scratch_floats);

    InferenceWorkspace() : floats_(activation_floats + scratch_floats) {}
    InferenceWorkspace(const InferenceWorkspace&) = delete;
    InferenceWorkspace& operator=(const InferenceWorkspace&) = delete;

    float* activation(std::size_t i) {
        return floats_.data() + plan.offset(graph::value_of[i], Capacity);
    }
    float* scratch() { return floats_.data() + activation_floats; }

private:
    AlignedFloats floats_;
};

// The same inside the object itself, for inference with no heap at all
// (declare it static, or on a large enough stack).
template <class M, std::size_t Capacity>
class InlineWorkspace {
    static_assert(Capacity > 0, "typenet: a workspace needs a capacity of at least one row");
    using graph = typename M::graph;
    static constexpr auto& plan = graph::inference_plan;

public:
    using model_type = M;
    static constexpr std::size_t capacity = Capacity;
    static constexpr std::size_t activation_floats = plan.floats(Capacity);
    static constexpr std::size_t scratch_floats = graph::forward_scratch_floats;
    // Its size, activations and scratch: what a static or a stack must hold (its sizeof).
    static constexpr std::size_t bytes = aligned_bytes(activation_floats + scratch_floats);
    float* activation(std::size_t i) {
        return floats_.data() + plan.offset(graph::value_of[i], Capacity);
    }
    float* scratch() { return floats_.data() + activation_floats; }

private:
    alignas(alignment_bytes) std::array<float, activation_floats + scratch_floats> floats_{};
};

// Where a forward pass keeps its activations: Workspace, InferenceWorkspace or
// InlineWorkspace, with scratch_floats of scratch, at least the model's
// forward_scratch_floats.
template <class W, class M>
concept ForwardWorkspace = std::same_as<typename W::model_type, M> && requires(W& w, std::size_t i) {
    { W::capacity } -> std::convertible_to<std::size_t>;
    requires W::scratch_floats >= M::graph::forward_scratch_floats;
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
        return run<Arch>(workspace, inputs, nullptr, nullptr);
    }
    // With draws (see Draws).
    template <class Arch = kernels::native_arch, ForwardWorkspace<M> W>
    std::span<const float> operator()(W& workspace, std::span<const float> inputs, const Draws& draws) const {
        return run<Arch>(workspace, inputs, &draws, nullptr);
    }

private:
    // How many of the layers First..First+k-1 have a loss term of their own (layer.hpp).
    static constexpr auto loss_terms_before = []<std::size_t... I>(std::index_sequence<I...>) {
        std::array<std::size_t, Last - First + 1> before{};
        std::size_t count = 0;
        ((before[I] = count, count += HasLossTerm<typename graph::template bound<First + I>>), ...);
        before[Last - First] = count;
        return before;
    }(std::make_index_sequence<Last - First>{});

public:
    // The layers' loss terms among First..Last-1, in order.
    static constexpr std::size_t loss_term_count = loss_terms_before[Last - First];

    // The forward pass, drawing as draws says (none when null), and adding
    // each layer's loss term (the sum over the rows) into loss_terms (when
    // not null: loss_term_count of them) as the layer runs, while its input
    // is there to read.
    template <class Arch = kernels::native_arch, ForwardWorkspace<M> W>
    std::span<const float> run(W& workspace, std::span<const float> inputs, const Draws* draws,
                               double* loss_terms) const {
        constexpr std::size_t row_size = input_shape::size;
        if (inputs.size() % row_size != 0 || inputs.empty() || inputs.size() / row_size > W::capacity) {
#if defined(__cpp_exceptions)
            throw UsageError(fmt::format("typenet: expected 1 to {} rows of {} floats, got {} floats", W::capacity,
                                         row_size, inputs.size()));
#else
            report_usage_error("typenet: a call takes 1 to its workspace's capacity of whole rows");
            return {};
#endif
        }
        const std::size_t rows = inputs.size() / row_size;
        // The first layer reads the input where it is (copying one image costs
        // a tenth of a dense inference), unless the part has no work (its output
        // is its input) or would overwrite it (the input is one of this
        // workspace's later activations, or its scratch).
        bool in_place = graph::value_of[Last] != graph::value_of[First];
        const auto overlaps_input = [&](const float* first_written, std::size_t count) {
            const auto address = [](const float* p) { return reinterpret_cast<std::uintptr_t>(p); };
            return address(inputs.data()) < address(first_written + count) &&
                   address(first_written) < address(inputs.data() + inputs.size());
        };
        if (overlaps_input(workspace.scratch(), W::scratch_floats)) in_place = false;
        for (std::size_t i = First + 1; i <= Last; ++i)
            if (graph::value_of[i] == i && overlaps_input(workspace.activation(i), rows * graph::activation_sizes[i]))
                in_place = false;
        float* first = workspace.activation(First);
        if (!in_place && inputs.data() != first) std::memmove(first, inputs.data(), inputs.size_bytes());
        const float* input = in_place ? inputs.data() : first;
        const auto read = [&](std::size_t i) -> const float* {
            return graph::value_of[i] == graph::value_of[First] ? input : workspace.activation(i);
        };
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (forward_layer<First + I, Arch>(parameters_ + graph::parameter_offsets[First + I], read,
                                            workspace.activation(First + I + 1), rows, workspace.scratch(), draws,
                                            loss_terms),
             ...);
        }(std::make_index_sequence<Last - First>{});
        return {workspace.activation(Last), rows * output_shape::size};
    }

private:
    // Layer I, reading its input (and skip) where read says; those that read
    // the part's input (through views, or as a merge's skip) read it wherever it is.
    template <std::size_t I, class Arch, class Read>
    static void forward_layer(const float* parameters, const Read& read, float* y, std::size_t rows, float* scratch,
                              const Draws* draws, double* loss_terms) {
        using B = typename graph::template bound<I>;
        if constexpr (graph::reads_skip(I)) {
            B::template forward<Arch>(parameters, read(I), read(graph::skip_of[I]), y, rows, scratch);
        } else {
            bool drawn = false;
            if constexpr (DrawsInEvaluation<B>)
                if ((drawn = draws != nullptr))
                    B::template train_forward<Arch>(
                        parameters, read(I), y, rows, scratch,
                        TrainingPass{.seed = draws->seed, .step = 0, .layer = I, .first_row = draws->first_row,
                                     .batch_rows = rows});
            if (!drawn) B::template forward<Arch>(parameters, read(I), y, rows, scratch);
            if constexpr (HasLossTerm<B>)
                if (loss_terms)
                    loss_terms[loss_terms_before[I - First]] += B::template loss_term<Arch>(parameters, read(I), y, rows);
        }
    }
    // A part runs on its input alone: no merge in it reads an activation before it.
    static_assert([] {
        for (std::size_t i = First; i < Last; ++i)
            if (graph::reads_skip(i) && graph::skip_of[i] < First) return false;
        return true;
    }(), "typenet: a part of a model cannot begin between a Tag and a merge that reads it");

    const float* parameters_;
};

}  // namespace typenet
