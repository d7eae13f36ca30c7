#pragma once
// Model files (.tnm) and checkpoints: a model's parameters, keyed to its
// architecture, in a versioned little-endian container that ends in a CRC-32.
// docs/formats.md gives the layout byte by byte.
//
// Loading checks everything before it changes anything: the whole file is
// parsed into buffers of its own, and only a file that passed every check
// is copied into the model. Otherwise the model keeps its parameters and the
// caller gets a DataError that starts with the file's path and says what is
// wrong: truncated, not a model file, a newer version, corrupt, or another
// architecture (shown beside the expected one, layer by layer).
#include <algorithm>
#include <array>
#include <concepts>
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
#include <zlib.h>  // crc32

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/io/architecture.hpp"
#include "typenet/io/bytes.hpp"
#include "typenet/io/files.hpp"
#include "typenet/io/messages.hpp"
#include "typenet/io/model_tensors.hpp"
#include "typenet/memory.hpp"
#include "typenet/optimizers.hpp"  // max_optimizer_step

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// PNG's design: a high byte catches 7-bit transfers, \r\n and \n catch
// line-ending conversions, and \x1a stops a DOS `type`.
inline constexpr std::array<unsigned char, 8> model_file_magic{0x89, 'T', 'N', 'M', '\r', '\n', 0x1a, '\n'};
// What this typenet writes. It reads every version since the first: version
// 1 had one dtype for every tensor, version 2 gives each tensor its own (for
// state that is not a float, such as a counter).
inline constexpr std::uint32_t model_file_version = 2;
inline constexpr std::uint32_t first_model_file_version = 1;

// A tensor's element type, little-endian.
enum class Dtype : std::uint32_t { float32 = 1, int64 = 2 };

enum class FileKind : std::uint32_t { model = 1, checkpoint = 2 };

// What a reader believes of a file's own claims, at most.
inline constexpr std::uint64_t max_architecture_text_bytes = std::uint64_t{1} << 20;
inline constexpr std::size_t max_checkpoint_values = 65536;  // a history of 5 columns for 13,000 epochs
inline constexpr std::size_t max_value_name_bytes = 255;

// Where training stands, beside the optimizer's state. `values` holds
// whatever else a program needs to resume exactly (e.g. "noise_seed"); names
// are 1 to 255 bytes of printable ASCII without spaces.
struct CheckpointInfo {
    std::uint64_t epochs = 0;  // completed
    std::uint64_t seed = 0;
    std::map<std::string, std::uint64_t, std::less<>> values;

    bool operator==(const CheckpointInfo&) const = default;
};

// How an optimizer's state goes into a checkpoint: the optimizer's name and
// its slots, each holding one float per parameter laid out as the model's
// parameters are. A new optimizer's State needs a specialization here.
template <class State>
struct StateSlot {
    std::string_view name;
    AlignedFloats State::*floats;
};

template <class State>
struct optimizer_state_layout {};

template <class State>
    requires requires(const State& state) {
        { state.m } -> std::same_as<const AlignedFloats&>;
        { state.v } -> std::same_as<const AlignedFloats&>;
    }
struct optimizer_state_layout<State> {
    static constexpr std::string_view optimizer = "adam";
    static constexpr std::array<StateSlot<State>, 2> slots{{{"m", &State::m}, {"v", &State::v}}};
};

template <class State>
    requires requires(const State& state) {
        { state.velocity } -> std::same_as<const AlignedFloats&>;
    }
struct optimizer_state_layout<State> {
    static constexpr std::string_view optimizer = "sgd";
    static constexpr std::array<StateSlot<State>, 1> slots{{{"velocity", &State::velocity}}};
};

template <class State>
concept CheckpointableState = std::constructible_from<State, std::size_t> && requires(State& state) {
    { optimizer_state_layout<State>::optimizer } -> std::convertible_to<std::string_view>;
    optimizer_state_layout<State>::slots;
    { state.step } -> std::same_as<std::int64_t&>;
};

// A checkpoint parsed from bytes: parameters laid out as M::parameters() is.
template <class State>
struct Checkpoint {
    AlignedFloats parameters;
    State state;
    CheckpointInfo info;
};

namespace detail {

// Magic, version, kind and file size: where every typenet model file starts.
inline constexpr std::size_t start_bytes = 24;
inline constexpr std::size_t version_offset = 8;
inline constexpr std::size_t kind_offset = 12;
inline constexpr std::size_t size_field_offset = 16;
inline constexpr std::size_t checksum_bytes = 4;
// The start, the signature and the architecture text's length.
inline constexpr std::uint64_t header_bytes = start_bytes + 8 + 4;

inline std::string_view kind_name(FileKind kind) { return kind == FileKind::model ? "model file" : "checkpoint"; }

inline std::uint32_t crc32_update(std::uint32_t crc, std::span<const unsigned char> bytes) {
    uLong value = crc;
    // zlib takes at most 4 GiB per call.
    while (!bytes.empty()) {
        const std::size_t chunk = std::min<std::size_t>(bytes.size(), std::size_t{1} << 30);
        value = ::crc32(value, bytes.data(), static_cast<uInt>(chunk));
        bytes = bytes.subspan(chunk);
    }
    return static_cast<std::uint32_t>(value);
}

struct TensorEntry {
    std::string name;
    Dtype dtype;
    std::size_t rank;
    std::array<std::uint64_t, 4> dims;
    std::size_t block;           // 0: the parameters; 1, 2, ...: the optimizer's slots
    std::size_t first;           // in floats, inside the block
    std::size_t count;           // floats
    std::uint64_t byte_offset;   // in the payload
    std::uint64_t byte_length() const { return std::uint64_t{count} * sizeof(float); }
};

// Everything a file for one model type and kind must hold, as run-time data,
// so that writing and parsing are compiled once, not once per model.
struct Schema {
    FileKind kind;
    std::string_view architecture;
    std::size_t block_floats;      // M::parameter_count, padding included
    std::string_view optimizer;    // checkpoints only
    std::size_t block_count;       // the parameters and the optimizer's slots
    std::vector<TensorEntry> tensors;
    std::uint64_t payload_bytes = 0;
};

// The model's tensors named layers.<index>.<tensor>, then each slot's as
// <optimizer>.<slot>.layers.<index>.<tensor>, packed in that order.
template <class M>
Schema schema_for(FileKind kind, std::string_view optimizer, std::span<const std::string_view> slot_names) {
    Schema schema{kind, architecture_text<M>.view(), M::parameter_count, optimizer, 1 + slot_names.size(), {}};
    const auto add_block = [&](std::size_t block, std::string_view prefix) {
        for (const ModelTensor& tensor : model_tensors<M>) {
            TensorEntry entry{fmt::format("{}layers.{}.{}", prefix, tensor.layer, tensor.info.name),
                              Dtype::float32, tensor.info.rank, {}, block, tensor.parameter_offset, tensor.info.size(),
                              schema.payload_bytes};
            std::ranges::copy(tensor.info.dims, entry.dims.begin());
            schema.payload_bytes += entry.byte_length();
            schema.tensors.push_back(std::move(entry));
        }
    };
    add_block(0, "");
    for (std::size_t slot = 0; slot < slot_names.size(); ++slot)
        add_block(slot + 1, fmt::format("{}.{}.", optimizer, slot_names[slot]));
    return schema;
}

template <class M>
Schema model_schema() {
    return schema_for<M>(FileKind::model, {}, {});
}

template <class M, class State>
Schema checkpoint_schema() {
    using layout = optimizer_state_layout<State>;
    std::array<std::string_view, layout::slots.size()> slot_names{};
    std::ranges::transform(layout::slots, slot_names.begin(), &StateSlot<State>::name);
    return schema_for<M>(FileKind::checkpoint, layout::optimizer, slot_names);
}

// The most bytes a file that fits the schema can hold: exactly that many for a model file.
inline std::uint64_t max_file_size(const Schema& schema) {
    std::uint64_t size = header_bytes + schema.architecture.size();
    if (schema.kind == FileKind::checkpoint)
        size += 4 + schema.optimizer.size() + 3 * 8 + 4 + max_checkpoint_values * (4 + max_value_name_bytes + 8);
    size += 4;
    for (const TensorEntry& tensor : schema.tensors)
        size += 4 + tensor.name.size() + 4 + 4 + 8 * tensor.rank + 8 + 8;
    return size + 8 + schema.payload_bytes + checksum_bytes;
}

// Empty when the name may name a checkpoint value, else what is wrong with it.
inline std::string value_name_problem(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > max_value_name_bytes)
        return fmt::format("is {} bytes long, more than {}", name.size(), max_value_name_bytes);
    const auto bad = std::ranges::find_if(name, [](char c) { return c <= ' ' || c > '~'; });
    if (bad != name.end())
        return fmt::format("holds {}, which is not printable ASCII other than a space",
                           printable(std::string_view(&*bad, 1)));
    return {};
}

inline std::vector<unsigned char> encode(const Schema& schema, std::span<const std::span<const float>> blocks,
                                         std::int64_t optimizer_step, const CheckpointInfo& info) {
    ByteWriter out(static_cast<std::size_t>(max_file_size(schema)));
    out.raw(model_file_magic);
    out.u32(model_file_version);
    out.u32(static_cast<std::uint32_t>(schema.kind));
    out.u64(0);  // the file's size, once known
    out.u64(fnv1a_64(schema.architecture));
    out.text(schema.architecture);
    if (schema.kind == FileKind::checkpoint) {
        out.text(schema.optimizer);
        out.u64(static_cast<std::uint64_t>(optimizer_step));
        out.u64(info.epochs);
        out.u64(info.seed);
        out.u32(static_cast<std::uint32_t>(info.values.size()));
        for (const auto& [name, value] : info.values) {
            out.text(name);
            out.u64(value);
        }
    }
    out.u32(static_cast<std::uint32_t>(schema.tensors.size()));
    for (const TensorEntry& tensor : schema.tensors) {
        out.text(tensor.name);
        out.u32(static_cast<std::uint32_t>(tensor.dtype));
        out.u32(static_cast<std::uint32_t>(tensor.rank));
        for (std::size_t d = 0; d < tensor.rank; ++d) out.u64(tensor.dims[d]);
        out.u64(tensor.byte_offset);
        out.u64(tensor.byte_length());
    }
    out.u64(schema.payload_bytes);
    for (const TensorEntry& tensor : schema.tensors)
        out.floats(blocks[tensor.block].subspan(tensor.first, tensor.count));
    out.patch_u64(size_field_offset, out.bytes().size() + checksum_bytes);
    out.u32(crc32_update(0, out.bytes()));
    return std::move(out.bytes());
}

inline std::string hex_bytes(std::span<const unsigned char> bytes) {
    std::string text;
    for (const unsigned char byte : bytes) text += fmt::format("{}{:02x}", text.empty() ? "" : " ", byte);
    return text;
}

inline DataError truncated_start(std::string_view name, std::uint64_t file_size) {
    return data_error(name, fmt::format("truncated: the file holds only {} bytes, fewer than the {} every "
                                        "typenet model file starts with",
                                        file_size, start_bytes));
}

// Whether the file is whole and only its size field is wrong: then a flipped
// bit is to blame, not a lost end, and the checksum says so.
inline bool only_size_field_differs(std::span<const unsigned char> bytes) {
    if (bytes.size() < start_bytes + checksum_bytes) return false;
    std::uint32_t crc = crc32_update(0, bytes.first(size_field_offset));
    crc = crc32_update(crc, little_endian_bytes(std::uint64_t{bytes.size()}));
    crc = crc32_update(crc, bytes.subspan(start_bytes, bytes.size() - start_bytes - checksum_bytes));
    return crc == load_little_endian<std::uint32_t>(bytes.data() + bytes.size() - checksum_bytes);
}

// The two fields after the magic: how to read the rest, and what it is.
struct VersionAndKind {
    std::uint32_t version;
    std::uint32_t kind;
};

// Checks the magic, the version and the size field against the size of the
// file, of which `bytes` holds the first bytes (all of them, or at least the
// start). The version comes before all else after the magic: a newer version
// may lay out everything after it differently.
inline VersionAndKind check_start(std::span<const unsigned char> bytes, std::uint64_t file_size,
                                 std::string_view name) {
    if (file_size == 0) throw data_error(name, "the file is empty: it is not a typenet model file");
    const auto magic = bytes.first(std::min(bytes.size(), model_file_magic.size()));
    if (!std::ranges::equal(magic, std::span(model_file_magic).first(magic.size()))) {
        const bool converted =
            magic.size() >= 4 && std::ranges::equal(magic.first(4), std::span(model_file_magic).first(4));
        throw data_error(name, fmt::format("not a typenet model file: it starts with {} where a typenet model "
                                           "file starts with {}{}",
                                           hex_bytes(magic), hex_bytes(model_file_magic),
                                           converted ? " (its line endings were converted, as copying a binary "
                                                       "file as text does)"
                                                     : ""));
    }
    if (file_size < kind_offset) throw truncated_start(name, file_size);
    const auto version = load_little_endian<std::uint32_t>(bytes.data() + version_offset);
    if (version < first_model_file_version || version > model_file_version) {
        throw data_error(name, fmt::format("unsupported format version {}: this build of typenet reads versions "
                                           "{} to {}{}",
                                           version, first_model_file_version, model_file_version,
                                           version > model_file_version ? "; a newer typenet wrote the file"
                                                                        : ", and no typenet writes version 0"));
    }
    if (file_size < start_bytes) throw truncated_start(name, file_size);
    const auto declared = load_little_endian<std::uint64_t>(bytes.data() + size_field_offset);
    if (declared != file_size) {
        if (bytes.size() == file_size && only_size_field_differs(bytes))
            throw data_error(name, "corrupt: checksum mismatch: the field giving the file's size was changed "
                                   "after it was written");
        if (declared > file_size)
            throw data_error(name, fmt::format("truncated: the file should hold {} bytes, as its header says, but "
                                               "holds only {} ({} bytes are missing)",
                                               declared, file_size, declared - file_size));
        throw data_error(name, fmt::format("{} unexpected bytes after its end: the file should hold {} bytes, "
                                           "as its header says, but holds {}",
                                           file_size - declared, declared, file_size));
    }
    return {version, load_little_endian<std::uint32_t>(bytes.data() + kind_offset)};
}

inline void check_checksum(std::span<const unsigned char> bytes, std::string_view name) {
    const std::size_t end = bytes.size() - checksum_bytes;
    const auto stored = load_little_endian<std::uint32_t>(bytes.data() + end);
    const std::uint32_t computed = crc32_update(0, bytes.first(end));
    if (stored != computed)
        throw data_error(name, fmt::format("corrupt: checksum mismatch: the file stores CRC-32 {:08x} but its "
                                           "contents give {:08x}; it was changed after it was written",
                                           stored, computed));
}

inline std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        lines.push_back(text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return lines;
}

// Both architectures, line by line (a line is a layer), the first difference marked.
inline std::string architecture_difference(std::string_view in_file, std::string_view expected) {
    const std::vector<std::string_view> file_lines = lines_of(in_file), expected_lines = lines_of(expected);
    const std::size_t common = std::min(file_lines.size(), expected_lines.size());
    std::size_t first = 0;
    while (first < common && file_lines[first] == expected_lines[first]) ++first;
    const std::string where =
        first < common ? fmt::format("they first differ at layer {}", first)
                       : fmt::format("the file's has {} layers, the expected {}", file_lines.size(),
                                     expected_lines.size());
    std::string message = fmt::format("a different architecture: the file holds another network than the one "
                                      "loading it; {} (marked >)",
                                      where);
    const auto show = [&](std::string_view title, const std::vector<std::string_view>& lines) {
        message += fmt::format("\n  {}:", title);
        for (std::size_t i = 0; i < lines.size(); ++i)
            message += fmt::format("\n    {} {}", i == first ? '>' : ' ', printable(lines[i]));
    };
    show("in the file", file_lines);
    show("expected by this program", expected_lines);
    return message;
}

// Kind, signature, architecture (and in version 1 the dtype), from just
// after the start: what decides whether the file is meant for this model.
inline void check_identity(ByteReader& reader, VersionAndKind start, const Schema& schema) {
    const std::uint32_t kind = start.kind;
    if (kind != static_cast<std::uint32_t>(FileKind::model) && kind != static_cast<std::uint32_t>(FileKind::checkpoint))
        throw reader.error(fmt::format("unknown kind {}: format version {} knows 1 (a model file) and 2 (a "
                                       "checkpoint)",
                                       kind, start.version));
    if (kind != static_cast<std::uint32_t>(schema.kind))
        throw reader.error(schema.kind == FileKind::model
                               ? "a checkpoint, not a model file: load it with load_checkpoint"
                               : "a model file, not a checkpoint: it holds no optimizer state; load it with "
                                 "load_model");
    const std::uint64_t signature = reader.u64("the architecture signature");
    const std::uint32_t length = reader.u32("the architecture text's length");
    if (length > max_architecture_text_bytes)
        throw reader.error(fmt::format("malformed: an architecture text of {} bytes, more than the {} typenet reads",
                                       length, max_architecture_text_bytes));
    const std::string_view architecture = reader.text(length, "the architecture text");
    if (fnv1a_64(architecture) != signature)
        throw reader.error(fmt::format("corrupt: the architecture signature {:016x} is not that of the "
                                       "architecture text ({:016x})",
                                       signature, fnv1a_64(architecture)));
    if (architecture != schema.architecture)
        throw reader.error(architecture_difference(architecture, schema.architecture));
    if (start.version == 1) {
        const std::uint32_t dtype = reader.u32("the dtype");
        if (dtype != static_cast<std::uint32_t>(Dtype::float32))
            throw reader.error(fmt::format("unsupported dtype {}: format version 1 knows only {} (float32, "
                                           "little-endian)",
                                           dtype, static_cast<std::uint32_t>(Dtype::float32)));
    }
}

inline std::string_view dtype_name(std::uint32_t dtype) {
    switch (dtype) {
        case static_cast<std::uint32_t>(Dtype::float32): return "float32";
        case static_cast<std::uint32_t>(Dtype::int64): return "int64";
        default: return {};
    }
}

// What a file holds once parsed: one block of floats per schema block, laid
// out as the model's parameters are (padding zero), and the checkpoint's fields.
struct Contents {
    std::vector<AlignedFloats> blocks;
    std::int64_t optimizer_step = 0;
    CheckpointInfo info;
};

inline void read_checkpoint_fields(ByteReader& reader, const Schema& schema, Contents& contents) {
    const std::string_view optimizer = reader.text(reader.u32("the optimizer's name length"), "the optimizer's name");
    if (optimizer != schema.optimizer)
        throw reader.error(fmt::format("the checkpoint holds the state of the optimizer \"{}\", but it is loaded "
                                       "into the state of \"{}\"",
                                       printable(optimizer), schema.optimizer));
    contents.optimizer_step = static_cast<std::int64_t>(reader.u64("the optimizer's step"));
    if (contents.optimizer_step < 0 || contents.optimizer_step > max_optimizer_step)
        throw reader.error(fmt::format("malformed: the optimizer's step count is {}, outside 0 to {}",
                                       contents.optimizer_step, max_optimizer_step));
    contents.info.epochs = reader.u64("the epochs");
    contents.info.seed = reader.u64("the seed");
    const std::uint32_t count = reader.u32("the number of named values");
    if (count > max_checkpoint_values)
        throw reader.error(fmt::format("malformed: {} named values, more than the {} typenet reads", count,
                                       max_checkpoint_values));
    std::string_view previous;
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::string_view name = reader.text(reader.u32("a value's name length"), "a value's name");
        if (const std::string problem = value_name_problem(name); !problem.empty())
            throw reader.error(fmt::format("malformed: the name of value {} {}", i, problem));
        if (i > 0 && name <= previous)
            throw reader.error(fmt::format("malformed: value \"{}\" follows \"{}\"; names must be unique and in "
                                           "increasing order",
                                           name, previous));
        contents.info.values.emplace(name, reader.u64("a value"));
        previous = name;
    }
}

inline void read_tensor_table(ByteReader& reader, std::uint32_t version, const Schema& schema) {
    const std::uint32_t count = reader.u32("the number of tensors");
    if (count != schema.tensors.size())
        throw reader.error(fmt::format("malformed: the file lists {} tensors where this architecture has {}", count,
                                       schema.tensors.size()));
    for (const TensorEntry& expected : schema.tensors) {
        const std::string_view name = reader.text(reader.u32("a tensor's name length"), "a tensor's name");
        if (name != expected.name)
            throw reader.error(fmt::format("malformed: tensor \"{}\" is listed where \"{}\" should be",
                                           printable(name), expected.name));
        if (version >= 2) {
            const std::uint32_t dtype = reader.u32("a tensor's dtype");
            if (dtype_name(dtype).empty())
                throw reader.error(fmt::format("malformed: tensor {} has dtype {}, which format version {} does not "
                                               "know (1 is float32, 2 int64)",
                                               name, dtype, version));
            if (dtype != static_cast<std::uint32_t>(expected.dtype))
                throw reader.error(fmt::format("tensor {} holds {} where this model holds {}", name,
                                               dtype_name(dtype),
                                               dtype_name(static_cast<std::uint32_t>(expected.dtype))));
        }
        const std::uint32_t rank = reader.u32("a tensor's rank");
        if (rank != expected.rank)
            throw reader.error(fmt::format("malformed: tensor {} has rank {} where {} is expected", name, rank,
                                           expected.rank));
        std::array<std::uint64_t, 4> dims{};
        for (std::size_t d = 0; d < rank; ++d) dims[d] = reader.u64("a tensor's dimension");
        if (dims != expected.dims)
            throw reader.error(fmt::format("malformed: tensor {} has shape {} where {} is expected", name,
                                           shape_text(std::span(dims).first(rank)),
                                           shape_text(std::span(expected.dims).first(rank))));
        const std::uint64_t offset = reader.u64("a tensor's offset");
        const std::uint64_t length = reader.u64("a tensor's length");
        if (offset != expected.byte_offset || length != expected.byte_length())
            throw reader.error(fmt::format("malformed: tensor {} lies at payload bytes {} to {} where {} to {} is "
                                           "expected",
                                           name, offset, offset + length, expected.byte_offset,
                                           expected.byte_offset + expected.byte_length()));
    }
}

inline void read_payload(ByteReader& reader, const Schema& schema, Contents& contents) {
    const std::uint64_t length = reader.u64("the payload's length");
    if (length != schema.payload_bytes)
        throw reader.error(fmt::format("malformed: a payload of {} bytes where the tensors take {}", length,
                                       schema.payload_bytes));
    const std::span<const unsigned char> payload = reader.take(length, "the payload");
    for (const TensorEntry& tensor : schema.tensors) {
        const unsigned char* source = payload.data() + tensor.byte_offset;
        float* target = contents.blocks[tensor.block].data() + tensor.first;
        for (std::size_t i = 0; i < tensor.count; ++i)
            target[i] = load_little_endian_float(source + i * sizeof(float));
    }
}

inline Contents parse(std::span<const unsigned char> bytes, std::string_view name, const Schema& schema) {
    const VersionAndKind start = check_start(bytes, bytes.size(), name);
    check_checksum(bytes, name);
    ByteReader reader(bytes.first(bytes.size() - checksum_bytes), name);
    reader.take(start_bytes, "the start");
    check_identity(reader, start, schema);
    Contents contents{std::vector<AlignedFloats>(schema.block_count, AlignedFloats(schema.block_floats)), 0, {}};
    if (schema.kind == FileKind::checkpoint) read_checkpoint_fields(reader, schema, contents);
    read_tensor_table(reader, start.version, schema);
    read_payload(reader, schema, contents);
    if (reader.remaining() != 0)
        throw reader.error(fmt::format("malformed: {} unexpected bytes between the payload and the checksum",
                                       reader.remaining()));
    return contents;
}

inline Contents load(const std::filesystem::path& path, const Schema& schema) {
    const std::string name = path.string();
    const std::uint64_t most = max_file_size(schema);
    // A file too large for this model may still be one of another
    // architecture, which its header tells: read enough to show that.
    const std::uint64_t limit = std::max(most, header_bytes + max_architecture_text_bytes);
    const FileStart file = read_file_start(path, limit);
    if (file.size <= limit) return parse(file.bytes, name, schema);
    const VersionAndKind start = check_start(file.bytes, file.size, name);
    ByteReader reader(file.bytes, name);
    reader.take(start_bytes, "the start");
    check_identity(reader, start, schema);
    throw data_error(name, fmt::format("too large: the file holds {} bytes, but a {} of this architecture holds {} "
                                       "{}",
                                       file.size, kind_name(schema.kind),
                                       schema.kind == FileKind::model ? "exactly" : "at most", most));
}

template <class M, class State>
void check_state_size(const State& state) {
    for (const StateSlot<State>& slot : optimizer_state_layout<State>::slots)
        if ((state.*slot.floats).size() != M::parameter_count)
            throw UsageError(fmt::format("typenet: the optimizer state's {} holds {} floats but the model has {} "
                                         "parameters; make the state with State(M::parameter_count)",
                                         slot.name, (state.*slot.floats).size(), M::parameter_count));
}

inline void check_step(std::int64_t step) {
    if (step < 0 || step > max_optimizer_step)
        throw UsageError(fmt::format("typenet: the optimizer state's step count is {}, outside 0 to {}; a checkpoint "
                                     "cannot hold it",
                                     step, max_optimizer_step));
}

inline void check_info(const CheckpointInfo& info) {
    if (info.values.size() > max_checkpoint_values)
        throw UsageError(fmt::format("typenet: a checkpoint holds at most {} named values, not {}",
                                     max_checkpoint_values, info.values.size()));
    for (const auto& [name, value] : info.values)
        if (const std::string problem = value_name_problem(name); !problem.empty())
            throw UsageError(fmt::format("typenet: the checkpoint value name \"{}\" {}", printable(name), problem));
}

}  // namespace detail

// The bytes of a model file: what save_model writes.
template <SavableModel M>
std::vector<unsigned char> model_file_bytes(const M& model) {
    const std::array<std::span<const float>, 1> blocks{model.parameters()};
    return detail::encode(detail::model_schema<M>(), blocks, 0, {});
}

// Parses the bytes of a model file for M, checking everything; returns
// parameters laid out as M::parameters() is. `name` starts every message.
template <SavableModel M>
AlignedFloats parse_model_file(std::span<const unsigned char> bytes, std::string_view name) {
    return std::move(detail::parse(bytes, name, detail::model_schema<M>()).blocks[0]);
}

// Writes through a temporary file and a rename: a file already at `path`
// stays whole until the new one is.
template <SavableModel M>
void save_model(const std::filesystem::path& path, const M& model) {
    detail::write_file(path, model_file_bytes(model));
}

template <SavableModel M>
void load_model(const std::filesystem::path& path, M& model) {
    const detail::Contents contents = detail::load(path, detail::model_schema<M>());
    std::ranges::copy(contents.blocks[0].span(), model.parameters().begin());
}

template <SavableModel M, CheckpointableState State>
std::vector<unsigned char> checkpoint_file_bytes(const M& model, const State& state, const CheckpointInfo& info) {
    detail::check_state_size<M>(state);
    detail::check_step(state.step);
    detail::check_info(info);
    constexpr auto& slots = optimizer_state_layout<State>::slots;
    std::array<std::span<const float>, 1 + slots.size()> blocks{model.parameters()};
    for (std::size_t s = 0; s < slots.size(); ++s) blocks[s + 1] = (state.*slots[s].floats).span();
    return detail::encode(detail::checkpoint_schema<M, State>(), blocks, state.step, info);
}

template <SavableModel M, CheckpointableState State>
Checkpoint<State> parse_checkpoint_file(std::span<const unsigned char> bytes, std::string_view name) {
    detail::Contents contents = detail::parse(bytes, name, detail::checkpoint_schema<M, State>());
    Checkpoint<State> checkpoint{std::move(contents.blocks[0]), State(0), std::move(contents.info)};
    constexpr auto& slots = optimizer_state_layout<State>::slots;
    for (std::size_t s = 0; s < slots.size(); ++s)
        checkpoint.state.*slots[s].floats = std::move(contents.blocks[s + 1]);
    checkpoint.state.step = contents.optimizer_step;
    return checkpoint;
}

// The model's parameters and the optimizer's state (Adam's or SGD's, as a
// Trainer's optimizer_state() holds it), enough to resume training exactly.
template <SavableModel M, CheckpointableState State>
void save_checkpoint(const std::filesystem::path& path, const M& model, const State& state,
                     const CheckpointInfo& info) {
    detail::write_file(path, checkpoint_file_bytes(model, state, info));
}

template <SavableModel M, CheckpointableState State>
CheckpointInfo load_checkpoint(const std::filesystem::path& path, M& model, State& state) {
    detail::check_state_size<M>(state);
    detail::Contents contents = detail::load(path, detail::checkpoint_schema<M, State>());
    std::ranges::copy(contents.blocks[0].span(), model.parameters().begin());
    constexpr auto& slots = optimizer_state_layout<State>::slots;
    for (std::size_t s = 0; s < slots.size(); ++s)
        std::ranges::copy(contents.blocks[s + 1].span(), (state.*slots[s].floats).span().begin());
    state.step = contents.optimizer_step;
    return std::move(contents.info);
}

}  // namespace typenet::io
