#pragma once
// A model's tensors as PyTorch's state_dict() names and lays them out: the
// name of each tensor ("encoder.0.weight", after the parts' names, given or
// those of the PyTorch module people write for the model), its shape in
// PyTorch, and how its elements pair with typenet's (its axes permuted, and
// a Dense's axis over a flattened image split into the image's, which PyTorch
// orders channels first). docs/safetensors.md gives the names and layouts.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/model_tensors.hpp"
#include "typenet/layer.hpp"
#include "typenet/layers/dense.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// The names of a two-part model's parts in PyTorch: the attributes of the
// nn.Module that hold them.
inline constexpr std::array<std::string_view, 2> encoder_decoder_parts{"encoder", "decoder"};

// The dtypes PyTorch gives typenet's tensors: float32, but int64 for a
// counter (BatchNorm2d's num_batches_tracked), which typenet keeps in a float.
enum class TorchDtype { float32, int64 };

// The most axes a tensor is seen with to pair its elements with PyTorch's:
// a Dense kernel whose input and output are both images seen flat has six.
inline constexpr std::size_t max_torch_view_rank = 6;

// One tensor of a model as PyTorch's state_dict() holds it.
struct TorchTensor {
    std::string name;                 // "encoder.0.weight"
    std::size_t rank;
    std::array<std::size_t, 4> dims;  // PyTorch's shape
    // PyTorch's elements in order are those of typenet's tensor seen with
    // view_rank axes, axis i of view_dims[i] elements view_strides[i] floats
    // apart in typenet's (docs/safetensors.md).
    std::size_t view_rank;
    std::array<std::size_t, max_torch_view_rank> view_dims, view_strides;
    ModelTensor tensor;  // typenet's
    TorchDtype dtype;
};

// A model whose parts can be named: typenet::Model.
template <class M>
concept PartedModel = SavableModel<M> && requires {
    typename M::parts;
    { M::part_count } -> std::convertible_to<std::size_t>;
    M::part_bounds;
};

// A part that names its attribute in the PyTorch module:
//   struct Encoder : tn::Sequential<...> { static constexpr std::string_view torch_name = "encoder"; };
template <class Part>
concept DeclaresTorchName = SequentialPart<Part> && requires { Part::torch_name; };

namespace detail {

// Names the first layer whose tensors have no PyTorch name, in the compiler's
// note: torch_names_check<layer_index<I>, TheLayer::Bound<...>>.
template <class Index, class B>
struct torch_names_check {
    static constexpr bool value = [] {
        for (const TensorInfo& tensor : B::tensors)
            if (tensor.torch_name.empty()) return false;
        return true;
    }();
    static_assert(value, "typenet: this layer's tensors have no PyTorch names, so the model cannot be exported to "
                         "or read from safetensors; give each TensorInfo a torch_name (see layer.hpp)");
};

template <class M>
constexpr bool has_torch_names() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (torch_names_check<layer_index<I>, typename M::graph::template bound<I>>::value && ...);
    }(std::make_index_sequence<M::layer_count>{});
}

// What PyTorch accepts as the path of a submodule: names of letters, digits
// and '_' (nn.Sequential names its modules 0, 1, ...) joined by dots.
constexpr bool is_torch_module_path(std::string_view path) {
    std::size_t name_length = 0;
    for (const char c : path) {
        if (c == '.') {
            if (name_length == 0) return false;
            name_length = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
            ++name_length;
        } else {
            return false;
        }
    }
    return name_length > 0;
}

// Names the part whose torch_name is wrong in the compiler's note: torch_name_check<Encoder>.
template <class Part>
struct torch_name_check {
    static constexpr bool value = [] {
        if constexpr (std::is_convertible_v<decltype(Part::torch_name), std::string_view>)
            return is_torch_module_path(Part::torch_name);
        else
            return false;
    }();
    static_assert(value, "typenet: this part's torch_name is not a PyTorch module path; give a std::string_view of "
                         "letters, digits and '_', or of such names joined by '.' (\"encoder\", \"model.encoder\")");
};

template <class Part>
constexpr bool has_valid_torch_name() {
    if constexpr (DeclaresTorchName<Part>) return torch_name_check<Part>::value;
    else return true;
}

template <class M>
constexpr bool has_valid_part_names() {
    return []<class... Parts>(TypeList<Parts...>) {
        return (has_valid_torch_name<Parts>() && ...);
    }(typename M::parts{});
}

// A module of the PyTorch network: its path in the state_dict ("" for the
// network itself) and where its layers end (they begin where the previous
// module's end). Inside an nn.Sequential the layers with parameters are
// numbered 0, 1, ...; a module that is one layer holds its tensors itself.
struct TorchModule {
    std::string path;
    std::size_t end_layer;
    bool is_one_layer = false;
};

// One module for each part, part p's at path_of(p).
template <class M, class PathOf>
std::vector<TorchModule> part_modules(PathOf path_of) {
    std::vector<TorchModule> modules;
    for (std::size_t part = 0; part < M::part_count; ++part)
        modules.push_back({std::string(path_of(part)), M::part_bounds[part + 1]});
    return modules;
}

// Whether the parts name their modules: every part declares a torch_name but
// single layers without parameters, which are code in the module's forward()
// (a VAE's Sampling), as tags and merges are.
template <class M, class... Parts>
constexpr bool parts_name_their_modules() {
    constexpr std::array<bool, sizeof...(Parts)> declares{DeclaresTorchName<Parts>...};
    constexpr std::array<bool, sizeof...(Parts)> one_layer{!SequentialPart<Parts>...};
    bool any = false;
    for (std::size_t part = 0; part < sizeof...(Parts); ++part) {
        const std::size_t parameters = M::graph::parameter_offsets[M::part_bounds[part + 1]] -
                                       M::graph::parameter_offsets[M::part_bounds[part]];
        if (!declares[part] && !(one_layer[part] && parameters == 0)) return false;
        any = any || declares[part];
    }
    return any;
}

template <class Part>
constexpr std::string_view torch_name_of() {
    if constexpr (DeclaresTorchName<Part>) return Part::torch_name;
    else return {};
}

// The modules of the PyTorch network people write for M (docs/safetensors.md).
template <class M>
std::vector<TorchModule> default_modules() {
    return []<class... Parts>(TypeList<Parts...>) {
        if constexpr (parts_name_their_modules<M, Parts...>()) {
            constexpr std::array<std::string_view, sizeof...(Parts)> names{torch_name_of<Parts>()...};
            return part_modules<M>([&](std::size_t part) { return names[part]; });
        } else if constexpr (sizeof...(Parts) == 1 || !(SequentialPart<Parts> || ...)) {
            return std::vector<TorchModule>{{"", M::layer_count}};  // one nn.Sequential
        } else if constexpr (sizeof...(Parts) == 2) {
            return part_modules<M>([](std::size_t part) { return encoder_decoder_parts[part]; });
        } else {  // an nn.Sequential of the parts: a named part an nn.Sequential in it, a single layer a module
            constexpr std::array<bool, sizeof...(Parts)> is_one_layer{!SequentialPart<Parts>...};
            std::vector<TorchModule> modules = part_modules<M>([](std::size_t part) { return std::to_string(part); });
            for (std::size_t part = 0; part < modules.size(); ++part) modules[part].is_one_layer = is_one_layer[part];
            return modules;
        }
    }(typename M::parts{});
}

// Calls visit(torch_index, typenet_index) for every element of the tensor,
// indices counted in floats from the tensor's first.
template <class Visit>
void for_each_element(const TorchTensor& tensor, Visit visit) {
    const std::size_t size = tensor.tensor.info.size();
    std::array<std::size_t, max_torch_view_rank> position{};
    std::size_t typenet_index = 0;
    for (std::size_t torch_index = 0; torch_index < size; ++torch_index) {
        visit(torch_index, typenet_index);
        for (std::size_t axis = tensor.view_rank; axis-- > 0;) {
            typenet_index += tensor.view_strides[axis];
            if (++position[axis] < tensor.view_dims[axis]) break;
            typenet_index -= position[axis] * tensor.view_strides[axis];
            position[axis] = 0;
        }
    }
}

// An image (height, width, channels) seen flat: typenet flattens it in that
// order, PyTorch's nn.Flatten (and nn.Unflatten) in (channels, height, width).
// The two orders differ unless one of them is a single axis.
struct FlatImage {
    std::size_t height = 0, width = 0, channels = 0;
    constexpr bool reorders() const { return channels > 1 && height * width > 1; }
};

template <class Layer>
inline constexpr bool is_dense = false;
template <std::size_t Units, ActivationFunction Act, BiasChoice UseBias>
inline constexpr bool is_dense<Dense<Units, Act, UseBias>> = true;

// What the order of the features between layers depends on.
struct LayerShapes {
    std::string_view kind;
    std::size_t input_rank, output_rank;
    std::array<std::size_t, 3> input_dims, output_dims;
    // keeps_values: no tensors and as many outputs as inputs (a view, Dropout,
    // Activation), which leaves the order of flat values as it was.
    bool is_dense, keeps_values;
    constexpr bool is_flatten() const { return keeps_values && input_rank == 3 && output_rank == 1; }
    constexpr bool is_unflatten() const { return keeps_values && input_rank == 1 && output_rank == 3; }
    constexpr bool passes_flat() const { return keeps_values && input_rank == 1 && output_rank == 1; }
};

template <class M, std::size_t I>
constexpr LayerShapes layer_shapes() {
    using B = typename M::graph::template bound<I>;
    using In = typename B::input_shape;
    using Out = typename B::output_shape;
    LayerShapes shapes{B::kind,
                       In::rank,
                       Out::rank,
                       {},
                       {},
                       is_dense<type_at<I, typename M::graph::layer_list>>,
                       B::tensors.size() == 0 && In::size == Out::size};
    for (std::size_t axis = 0; axis < std::min<std::size_t>(In::rank, 3); ++axis)
        shapes.input_dims[axis] = In::dims[axis];
    for (std::size_t axis = 0; axis < std::min<std::size_t>(Out::rank, 3); ++axis)
        shapes.output_dims[axis] = Out::dims[axis];
    return shapes;
}

template <class M>
constexpr std::array<LayerShapes, M::layer_count> all_layer_shapes() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<LayerShapes, M::layer_count>{layer_shapes<M, I>()...};
    }(std::make_index_sequence<M::layer_count>{});
}

// For each layer, the image its flat input is (what a Flatten made of one,
// through layers that keep the values) and the image its flat output becomes
// (what a Reshape to an image makes of it, through the same); none is {}.
template <class M>
struct FlatImages {
    std::array<FlatImage, M::layer_count> input, output;
};

template <class M>
constexpr FlatImages<M> flat_images() {
    constexpr std::array<LayerShapes, M::layer_count> shapes = all_layer_shapes<M>();
    FlatImages<M> images{};
    FlatImage image{};
    for (std::size_t i = 0; i < M::layer_count; ++i) {
        const LayerShapes& layer = shapes[i];
        if (layer.input_rank == 1) images.input[i] = image;
        if (layer.is_flatten()) image = {layer.input_dims[0], layer.input_dims[1], layer.input_dims[2]};
        else if (!layer.passes_flat()) image = {};
    }
    image = {};
    for (std::size_t i = M::layer_count; i-- > 0;) {
        const LayerShapes& layer = shapes[i];
        if (layer.output_rank == 1) images.output[i] = image;
        if (layer.is_unflatten()) image = {layer.output_dims[0], layer.output_dims[1], layer.output_dims[2]};
        else if (!layer.passes_flat()) image = {};
    }
    return images;
}

// A layer whose tensors meet a flat image: a Dense's are mapped, another's cannot be.
inline void check_flat_image_layer(std::size_t layer, const LayerShapes& shapes, FlatImage image, bool is_input) {
    if (shapes.is_dense || !image.reorders()) return;
    throw UsageError(fmt::format(
        "typenet: layer {} ({}) {} the values of an image ({},{},{}) seen flat, which typenet orders (height, "
        "width, channels) and PyTorch's {} (channels, height, width); typenet pairs a Dense's tensors with "
        "nn.Linear's across the two orders, but not this layer's, so the model cannot be saved as or loaded from "
        "safetensors; put the layer before the {}",
        layer, shapes.kind, is_input ? "takes" : "gives", image.height, image.width, image.channels,
        is_input ? "nn.Flatten" : "nn.Unflatten",
        is_input ? "Flatten or after the Dense" : "Dense or after the Reshape"));
}

// PyTorch's view of a tensor of typenet's. With channels_first, PyTorch's
// axes are typenet's last, its second to last, then the others in order; a
// Dense kernel's axis over a flat image is that image's three axes, which
// PyTorch orders (channels, height, width): typenet's kernel (h·w·c, out) is
// PyTorch's weight (out, c·h·w) seen as (out, c, h, w).
inline void set_torch_view(TorchTensor& torch, const std::array<FlatImage, 4>& images_of_axes) {
    const TensorInfo& info = torch.tensor.info;
    const std::size_t rank = info.rank;
    std::array<std::size_t, 4> order{0, 1, 2, 3};
    if (info.torch_axes == TorchAxes::channels_first && rank >= 2) {
        order[0] = rank - 1;
        order[1] = rank - 2;
        for (std::size_t axis = 2; axis < rank; ++axis) order[axis] = axis - 2;
    }
    std::array<std::size_t, 4> strides{};
    std::size_t stride = 1;
    for (std::size_t axis = rank; axis-- > 0;) {
        strides[axis] = stride;
        stride *= info.dims[axis];
    }
    torch.view_rank = 0;
    const auto add = [&](std::size_t dim, std::size_t view_stride) {
        torch.view_dims[torch.view_rank] = dim;
        torch.view_strides[torch.view_rank++] = view_stride;
    };
    for (std::size_t i = 0; i < rank; ++i) {
        const std::size_t axis = order[i];
        torch.dims[i] = info.dims[axis];
        const FlatImage image = images_of_axes[axis];
        if (!image.reorders()) {
            add(info.dims[axis], strides[axis]);
            continue;
        }
        add(image.channels, strides[axis]);
        add(image.height, image.width * image.channels * strides[axis]);
        add(image.width, image.channels * strides[axis]);
    }
}

template <class M>
std::vector<TorchTensor> torch_tensors_in(std::span<const TorchModule> modules) {
    static_assert(has_torch_names<M>());
    static_assert(has_valid_part_names<M>());
    static constexpr FlatImages<M> images = flat_images<M>();
    static constexpr std::array<LayerShapes, M::layer_count> shapes = all_layer_shapes<M>();
    std::vector<TorchTensor> tensors;
    std::size_t module = 0, number = 0;
    std::optional<std::size_t> numbered_layer;  // the last layer given a number
    for (const ModelTensor& tensor : model_tensors<M>) {
        if (tensor.layer != numbered_layer) {
            if (numbered_layer) ++number;
            while (tensor.layer >= modules[module].end_layer) {
                ++module;
                number = 0;
            }
            numbered_layer = tensor.layer;
        }
        const std::size_t rank = tensor.info.rank;
        const std::string& path = modules[module].path;
        TorchTensor torch{modules[module].is_one_layer ? fmt::format("{}.{}", path, tensor.info.torch_name)
                          : path.empty()               ? fmt::format("{}.{}", number, tensor.info.torch_name)
                                                       : fmt::format("{}.{}.{}", path, number, tensor.info.torch_name),
                          rank, {}, 0, {}, {}, tensor,
                          tensor.info.role == TensorRole::counter ? TorchDtype::int64 : TorchDtype::float32};
        const FlatImage input = images.input[tensor.layer], output = images.output[tensor.layer];
        check_flat_image_layer(tensor.layer, shapes[tensor.layer], input, true);
        check_flat_image_layer(tensor.layer, shapes[tensor.layer], output, false);
        // A Dense kernel's axes run over its input and its output, its bias's over its output.
        std::array<FlatImage, 4> images_of_axes{};
        if (shapes[tensor.layer].is_dense) {
            if (rank == 2) images_of_axes = {input, output};
            else images_of_axes = {output};
        }
        set_torch_view(torch, images_of_axes);
        tensors.push_back(std::move(torch));
    }
    std::vector<std::string_view> names;
    for (const TorchTensor& tensor : tensors) names.push_back(tensor.name);
    std::ranges::sort(names);
    if (const auto twice = std::ranges::adjacent_find(names); twice != names.end()) {
        std::vector<std::string_view> paths;
        for (const TorchModule& each : modules) paths.push_back(each.path);
        throw UsageError(fmt::format("typenet: the part names ({}) give two tensors the name {}; give each part a "
                                     "name of its own",
                                     fmt::join(paths, ", "), *twice));
    }
    return tensors;
}

}  // namespace detail

// Every tensor of M as PyTorch names and lays it out: the state_dict() of a
// module whose parts are nn.Sequential attributes, in which the layers with
// parameters are numbered 0, 1, ... in order, so that a layer's kernel is
// "<part>.<number>.weight" (a BatchNormalization is numbered, and its running
// statistics and count are named as BatchNorm2d's; a Dropout, an Activation
// or a pooling layer has no number, as it has no tensors). The parts' names are those of the PyTorch module
// people write for M (docs/safetensors.md):
// - every part declares a torch_name: those names;
// - one part, or only single layers as parts: one nn.Sequential, no prefix ("0.weight");
// - two parts: "encoder" and "decoder" (encoder_decoder_parts);
// - three or more: an nn.Sequential of the parts, numbered: a named part an
//   nn.Sequential in it ("2.0.weight"), a single layer a module ("1.weight").
template <PartedModel M>
std::vector<TorchTensor> torch_tensors() {
    return detail::torch_tensors_in<M>(detail::default_modules<M>());
}

// The same with part p named part_names[p] (an empty name: "<number>.weight").
template <PartedModel M>
std::vector<TorchTensor> torch_tensors(std::span<const std::string_view> part_names) {
    if (part_names.size() != M::part_count)
        throw UsageError(fmt::format("typenet: the model has {} parts, but {} PyTorch names were given for them "
                                     "({}); give one name per part",
                                     M::part_count, part_names.size(), fmt::join(part_names, ", ")));
    return detail::torch_tensors_in<M>(
        detail::part_modules<M>([&](std::size_t part) { return part_names[part]; }));
}

}  // namespace typenet::io
