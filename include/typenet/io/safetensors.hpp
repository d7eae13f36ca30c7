#pragma once
// PyTorch interop: a model's parameters as a safetensors file whose tensors
// are named and laid out as the state_dict() of the same network in PyTorch,
// so that torch's load_state_dict() takes what typenet saves and typenet
// loads what torch saves. docs/safetensors.md shows the names and layouts.
//
// Loading checks everything before it changes anything, as load_model does:
// a file that is not well formed, or lacks a tensor, or has one more, or one
// of another shape or dtype, or a count that is not one, is a DataError that
// starts with the file's path, and the model keeps its parameters.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/architecture.hpp"
#include "typenet/io/bytes.hpp"
#include "typenet/io/files.hpp"
#include "typenet/io/messages.hpp"
#include "typenet/io/pytorch_names.hpp"
#include "typenet/io/safetensors_header.hpp"
#include "typenet/memory.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// Float32 tensors by name, in row-major order: a generic safetensors file
// (inputs and outputs to compare with PyTorch's, say).
struct FloatTensor {
    std::vector<std::size_t> shape;
    std::vector<float> values;
};
using FloatTensors = std::map<std::string, FloatTensor, std::less<>>;

namespace detail {

// typenet keeps a counter (TensorRole::counter) in a float, which holds every
// whole number up to 2^24 exactly and counts no further (2^24 + 1 rounds to
// 2^24); a count outside 0 ... 2^24 would not load as the number it is.
inline constexpr double max_exact_count = 16'777'216;

inline bool is_exact_count(double value) {
    return value >= 0 && value <= max_exact_count && value == static_cast<double>(static_cast<std::int64_t>(value));
}

inline std::string count_problem(std::string_view tensor_name, double value) {
    return fmt::format("tensor {} holds {}, but a count is a whole number from 0 to {} (2^24, the most typenet's "
                       "float counts exactly)",
                       tensor_name, value, max_exact_count);
}

inline std::uint64_t element_bytes(TorchDtype dtype) { return dtype == TorchDtype::int64 ? 8 : 4; }

inline std::string name_list(std::span<const std::string> names) {
    constexpr std::size_t shown = 8;
    if (names.empty()) return "none";
    std::string list;
    for (std::size_t i = 0; i < std::min(names.size(), shown); ++i)
        list += fmt::format("{}{}", i == 0 ? "" : ", ", printable(names[i]));
    if (names.size() > shown) list += fmt::format(" and {} more", names.size() - shown);
    return list;
}

// The model's parameters from parsed contents that must hold exactly `expected`.
inline AlignedFloats model_parameters(const SafetensorsContents& contents, std::span<const TorchTensor> expected,
                                      std::size_t parameter_count, std::string_view name) {
    const auto find = [&](std::string_view tensor_name) {
        return std::ranges::find(contents.tensors, tensor_name, &SafetensorsEntry::name);
    };
    for (const TorchTensor& tensor : expected) {
        const auto entry = find(tensor.name);
        if (entry == contents.tensors.end())
            throw data_error(name, fmt::format("missing tensor {}; the file holds {}", tensor.name,
                                               name_list(contents.names())));
        // A count may be F32 too: as typenet wrote it before it wrote PyTorch's int64.
        if (tensor.dtype == TorchDtype::int64 && entry->dtype != "I64" && entry->dtype != "F32")
            throw data_error(name, fmt::format("tensor {} is {}; typenet reads a count as I64 (PyTorch's dtype for "
                                               "it) or F32",
                                               tensor.name, printable(entry->dtype)));
        if (tensor.dtype == TorchDtype::float32 && entry->dtype != "F32")
            throw data_error(name, fmt::format("tensor {} is {}; typenet reads F32 only (save tensor.float())",
                                               tensor.name, printable(entry->dtype)));
        const std::vector<std::uint64_t> dims(tensor.dims.begin(),
                                              tensor.dims.begin() + static_cast<std::ptrdiff_t>(tensor.rank));
        if (entry->shape != dims)
            throw data_error(name, fmt::format("tensor {} has the shape {} where this model's is {} (PyTorch's "
                                               "layout)",
                                               tensor.name, shape_text(entry->shape), shape_text(dims)));
    }
    for (const SafetensorsEntry& entry : contents.tensors)
        if (std::ranges::find(expected, entry.name, &TorchTensor::name) == expected.end()) {
            std::vector<std::string> names;
            for (const TorchTensor& tensor : expected) names.push_back(tensor.name);
            throw data_error(name, fmt::format("unexpected tensor {}: the model has no tensor of that name (it has {})",
                                               printable(entry.name), name_list(names)));
        }
    AlignedFloats parameters(parameter_count);
    for (const TorchTensor& tensor : expected) {
        const auto entry = find(tensor.name);
        const unsigned char* source = contents.data.data() + entry->begin;
        float* target = parameters.data() + tensor.tensor.parameter_offset;
        if (tensor.dtype == TorchDtype::float32) {
            for_each_element(tensor, [&](std::size_t torch_index, std::size_t typenet_index) {
                target[typenet_index] = load_little_endian_float(source + torch_index * sizeof(float));
            });
            continue;
        }
        // A count, I64 or F32. An I64 above 2^53 becomes a double a little
        // off, but one above 2^24 all the same, and is refused as it should be.
        const bool is_int64 = entry->dtype == "I64";
        for_each_element(tensor, [&](std::size_t torch_index, std::size_t typenet_index) {
            const unsigned char* bytes = source + torch_index * (is_int64 ? 8 : 4);
            const double count =
                is_int64 ? static_cast<double>(std::bit_cast<std::int64_t>(load_little_endian<std::uint64_t>(bytes)))
                         : load_little_endian_float(bytes);
            if (!is_exact_count(count)) throw data_error(name, count_problem(tensor.name, count));
            target[typenet_index] = static_cast<float>(count);
        });
    }
    return parameters;
}

inline std::uint64_t data_bytes(std::span<const TorchTensor> tensors) {
    std::uint64_t bytes = 0;
    for (const TorchTensor& tensor : tensors) bytes += tensor.tensor.info.size() * element_bytes(tensor.dtype);
    return bytes;
}

template <class M>
std::vector<unsigned char> model_safetensors_bytes(const M& model, std::span<const TorchTensor> tensors) {
    std::vector<std::vector<float>> values;
    std::vector<std::vector<std::size_t>> shapes;
    for (const TorchTensor& tensor : tensors) {
        const float* source = model.parameters().data() + tensor.tensor.parameter_offset;
        std::vector<float>& torch_values = values.emplace_back(tensor.tensor.info.size());
        for_each_element(tensor, [&](std::size_t torch_index, std::size_t typenet_index) {
            torch_values[torch_index] = source[typenet_index];
        });
        // Refused before anything is written: the reader would refuse the file.
        if (tensor.dtype == TorchDtype::int64)
            for (const float value : torch_values)
                if (!is_exact_count(value))
                    throw UsageError(fmt::format("typenet: cannot save the model as safetensors: {}",
                                                 count_problem(tensor.name, value)));
        shapes.emplace_back(tensor.dims.begin(), tensor.dims.begin() + static_cast<std::ptrdiff_t>(tensor.rank));
    }
    std::vector<TensorToWrite> to_write;
    for (std::size_t i = 0; i < tensors.size(); ++i)
        to_write.push_back({tensors[i].name, shapes[i], values[i], tensors[i].dtype == TorchDtype::int64});
    const std::array<std::pair<std::string_view, std::string_view>, 2> metadata{
        {{"format", "pt"}, {"typenet_architecture", architecture_text<M>.view()}}};
    return encode_safetensors(to_write, metadata);
}

template <class M>
AlignedFloats parse_model_safetensors(std::span<const unsigned char> bytes, std::string_view name,
                                      std::span<const TorchTensor> tensors) {
    return model_parameters(parse_safetensors_contents(bytes, name), tensors, M::parameter_count, name);
}

template <class M>
void load_model_safetensors(const std::filesystem::path& path, M& model, std::span<const TorchTensor> tensors) {
    const std::string name = path.string();
    const std::uint64_t most = 8 + max_safetensors_header_bytes + data_bytes(tensors);
    const FileStart file = read_file_start(path, most);
    if (file.size > most)
        throw data_error(name, fmt::format("too large: the file holds {} bytes, but the safetensors file of this "
                                           "model's {} tensors holds at most {}",
                                           file.size, tensors.size(), most));
    const AlignedFloats parameters = parse_model_safetensors<M>(file.bytes, name, tensors);
    std::ranges::copy(parameters.span(), model.parameters().begin());
}

}  // namespace detail

// Each function below comes in two forms: with the parts' PyTorch names
// given (one per part, as torch_tensors(part_names) takes them), and without,
// for the names torch_tensors<M>() gives by default (docs/safetensors.md).

// The bytes of a safetensors file holding the model's parameters as
// PyTorch's state_dict() holds them: what save_safetensors writes.
template <PartedModel M>
std::vector<unsigned char> safetensors_bytes(const M& model) {
    return detail::model_safetensors_bytes(model, torch_tensors<M>());
}

template <PartedModel M>
std::vector<unsigned char> safetensors_bytes(const M& model, std::span<const std::string_view> part_names) {
    return detail::model_safetensors_bytes(model, torch_tensors<M>(part_names));
}

// Parses a safetensors file for M, checking everything; returns parameters
// laid out as M::parameters() is. `name` starts every message.
template <PartedModel M>
AlignedFloats parse_safetensors(std::span<const unsigned char> bytes, std::string_view name) {
    return detail::parse_model_safetensors<M>(bytes, name, torch_tensors<M>());
}

template <PartedModel M>
AlignedFloats parse_safetensors(std::span<const unsigned char> bytes, std::string_view name,
                                std::span<const std::string_view> part_names) {
    return detail::parse_model_safetensors<M>(bytes, name, torch_tensors<M>(part_names));
}

// Writes through a temporary file and a rename, as save_model does.
template <PartedModel M>
void save_safetensors(const std::filesystem::path& path, const M& model) {
    detail::write_file(path, safetensors_bytes(model));
}

template <PartedModel M>
void save_safetensors(const std::filesystem::path& path, const M& model,
                      std::span<const std::string_view> part_names) {
    detail::write_file(path, safetensors_bytes(model, part_names));
}

template <PartedModel M>
void load_safetensors(const std::filesystem::path& path, M& model) {
    detail::load_model_safetensors(path, model, torch_tensors<M>());
}

template <PartedModel M>
void load_safetensors(const std::filesystem::path& path, M& model, std::span<const std::string_view> part_names) {
    detail::load_model_safetensors(path, model, torch_tensors<M>(part_names));
}

// Generic float32 files: any tensors, by name.
inline std::vector<unsigned char> safetensors_bytes(const FloatTensors& tensors) {
    std::vector<detail::TensorToWrite> to_write;
    for (const auto& [name, tensor] : tensors) {
        std::size_t size = 1;
        for (const std::size_t dim : tensor.shape) size *= dim;
        if (size != tensor.values.size())
            throw UsageError(fmt::format("typenet: tensor {} has the shape {} ({} values) but holds {} values", name,
                                         fmt::join(tensor.shape, "x"), size, tensor.values.size()));
        to_write.push_back({name, tensor.shape, tensor.values});
    }
    const std::array<std::pair<std::string_view, std::string_view>, 1> metadata{{{"format", "pt"}}};
    return detail::encode_safetensors(to_write, metadata);
}

// Every tensor of a safetensors file, which must all be F32.
inline FloatTensors parse_safetensors_floats(std::span<const unsigned char> bytes, std::string_view name) {
    const detail::SafetensorsContents contents = detail::parse_safetensors_contents(bytes, name);
    FloatTensors tensors;
    for (const detail::SafetensorsEntry& entry : contents.tensors) {
        if (entry.dtype != "F32")
            throw data_error(name, fmt::format("tensor {} is {}; typenet reads F32 only", printable(entry.name),
                                               printable(entry.dtype)));
        FloatTensor& tensor = tensors[entry.name];
        tensor.shape.assign(entry.shape.begin(), entry.shape.end());
        tensor.values.resize((entry.end - entry.begin) / sizeof(float));
        for (std::size_t i = 0; i < tensor.values.size(); ++i)
            tensor.values[i] = load_little_endian_float(contents.data.data() + entry.begin + i * sizeof(float));
    }
    return tensors;
}

inline void save_safetensors(const std::filesystem::path& path, const FloatTensors& tensors) {
    detail::write_file(path, safetensors_bytes(tensors));
}

// `max_bytes` bounds what is read: a file above it is refused, not read.
inline FloatTensors load_safetensors_floats(const std::filesystem::path& path,
                                            std::uint64_t max_bytes = std::uint64_t{1} << 30) {
    const detail::FileStart file = detail::read_file_start(path, max_bytes);
    if (file.size > max_bytes)
        throw data_error(path.string(), fmt::format("too large: the file holds {} bytes, more than the {} asked for",
                                                    file.size, max_bytes));
    return parse_safetensors_floats(file.bytes, path.string());
}

}  // namespace typenet::io
