#pragma once
// What a model is trained towards. A loss declares its target:
//   OutputShaped  a row of floats of the output's shape (the clean image for
//                 an autoencoder, one-hot classes, probabilities), given as Samples
//   ClassIndex    one class index a row (Keras's sparse labels), given as Labels
//                 of 32-bit integers or of bytes (IDX label files hold a byte a label)
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// One row of a batch, where it already is: the input and the target it should give.
struct BatchRow {
    const float* input;
    const float* target;
};

// One row of a batch whose target is a class: where the input is, and its class index.
struct LabelledRow {
    const float* input;
    std::int32_t label;
};

struct OutputShaped {
    using element = float;  // what the loss reads a target from
    using row = BatchRow;
    template <class Out>
    static constexpr std::size_t per_row = Out::size;
};

struct ClassIndex {
    using element = std::int32_t;
    using row = LabelledRow;
    template <class Out>
    static constexpr std::size_t per_row = 1;
};

template <class T>
concept TargetKind = std::same_as<T, OutputShaped> || std::same_as<T, ClassIndex>;

// The integers a class index may be given as.
template <class T>
concept ClassLabel = std::same_as<T, std::int32_t> || std::same_as<T, std::uint8_t>;

inline bool names_a_class(std::int64_t label, std::size_t classes) {
    return label >= 0 && label < static_cast<std::int64_t>(classes);
}

// The DataError of a label that names no class of the model: which row of
// which labels and, when they came from a file, its path first, as every
// DataError about a file starts:
//   t10k-labels-idx1-ubyte.gz: row 7 of the validation labels has label 12, but the model has 10 classes (labels 0 to 9)
//   typenet: row 3 of the batch has label 12, but the model has 10 classes (labels 0 to 9)
inline DataError label_out_of_range(std::size_t row, std::int64_t label, std::size_t classes, std::string_view labels,
                                    std::string_view source = {}) {
    return DataError(fmt::format("{}: row {} of {} has label {}, but the model has {} classes (labels 0 to {})",
                                 source.empty() ? std::string_view("typenet") : source, row, labels, label, classes,
                                 classes - 1));
}

// Appears in compiler notes with both shapes when a model's output and its targets differ.
template <class OutputShape, class TargetShape>
struct target_check {
    static constexpr bool value = std::is_same_v<OutputShape, TargetShape>;
    static_assert(value, "typenet: the model's output shape differs from the target's shape");
};

// Class indices, one a row, over memory the caller keeps (as Samples are):
//   const tn::Labels labels{dataset.train_labels};            // std::vector<std::uint8_t>
//   const tn::Labels labels{classes, "train-labels-idx1-ubyte.gz"};
// source, when given, names where they came from in the error a label
// outside the model's classes gives.
template <ClassLabel T>
class Labels {
public:
    using value_type = T;
    Labels() = default;
    explicit Labels(std::span<const T> values, std::string source = {})
        : values_(values), source_(std::move(source)) {}
    explicit Labels(const std::vector<T>& values, std::string source = {})
        : Labels(std::span<const T>(values), std::move(source)) {}

    std::size_t count() const { return values_.size(); }
    bool empty() const { return values_.empty(); }
    std::int32_t operator[](std::size_t row) const { return static_cast<std::int32_t>(values_[row]); }
    std::span<const T> values() const { return values_; }
    const std::string& source() const { return source_; }

    // Throws label_out_of_range for the first label that is not one of 0 ..
    // classes - 1; `labels` says which they are ("the training labels").
    void check_classes(std::size_t classes, std::string_view labels) const {
        for (std::size_t row = 0; row < values_.size(); ++row)
            if (!names_a_class(values_[row], classes))
                throw label_out_of_range(row, values_[row], classes, labels, source_);
    }

private:
    std::span<const T> values_;
    std::string source_;
};

template <class T>
Labels(const std::vector<T>&) -> Labels<T>;
template <class T>
Labels(const std::vector<T>&, std::string) -> Labels<T>;
template <class T>
Labels(std::span<const T>) -> Labels<T>;
template <class T>
Labels(std::span<const T>, std::string) -> Labels<T>;

}  // namespace typenet
