#pragma once
// Reading labelled rows of numbers from a CSV file, as ECG5000 is written:
// comma-separated numbers, the last of each row a label 0 or 1, an optional
// header row first. The file is not trusted: every row must have as many
// cells as the first, every cell must be a finite number, every label 0 or 1;
// any problem is a DataError that starts with the file's path and names the
// line (and the column, for a cell).
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <sys/stat.h>  // fstat

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

struct LabelledRows {
    std::vector<float> values;         // row after row, values_per_row each (the labels left out)
    std::vector<std::uint8_t> labels;  // 0 or 1, one a row
    std::size_t values_per_row = 0;
    std::size_t first_row_line = 0;    // the line of the first row of numbers: 2 after a header
    bool has_header = false;

    [[nodiscard]] std::size_t count() const { return labels.size(); }
};

namespace detail {

[[nodiscard]] inline DataError csv_error(const std::filesystem::path& path, std::string_view problem) {
    return DataError(fmt::format("{}: {}", path.string(), problem));
}

inline std::string read_whole_file(const std::filesystem::path& path) {
    struct FileCloser {
        void operator()(std::FILE* file) const noexcept { std::fclose(file); }
    };
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (file == nullptr) throw csv_error(path, "cannot open: " + std::generic_category().message(errno));
    struct stat status {};
    if (::fstat(::fileno(file.get()), &status) != 0)
        throw csv_error(path, "cannot read its size: " + std::generic_category().message(errno));
    if (!S_ISREG(status.st_mode)) throw csv_error(path, "not a regular file");
    std::string text(static_cast<std::size_t>(status.st_size), '\0');
    if (std::fread(text.data(), 1, text.size(), file.get()) != text.size())
        throw csv_error(path, "cannot read: " + std::generic_category().message(errno));
    return text;
}

[[nodiscard]] inline std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

inline std::vector<std::string_view> split_cells(std::string_view line) {
    std::vector<std::string_view> cells;
    for (std::size_t start = 0;;) {
        const std::size_t comma = line.find(',', start);
        cells.push_back(trim(line.substr(start, comma - start)));
        if (comma == std::string_view::npos) return cells;
        start = comma + 1;
    }
}

// What a cell holds. from_chars reads nan and inf (in any case) as numbers,
// as numpy and pandas do: numbers, then, but none the trainer can use.
enum class CellKind { finite, not_finite, beyond_float, text };

struct Cell {
    CellKind kind = CellKind::text;
    float value = 0.0f;
};

// The whole cell as a float. from_chars takes no leading '+', which
// spreadsheets sometimes write, so it is skipped here.
[[nodiscard]] inline Cell parse_cell(std::string_view text) {
    if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
    float value = 0.0f;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (end != text.data() + text.size() || (error != std::errc{} && error != std::errc::result_out_of_range))
        return {CellKind::text};
    if (error == std::errc::result_out_of_range) return {CellKind::beyond_float};
    return {std::isfinite(value) ? CellKind::finite : CellKind::not_finite, value};
}

// What is wrong with a cell of a row of data that is not a finite float.
[[nodiscard]] inline std::string_view cell_problem(CellKind kind, bool first_row) {
    switch (kind) {
        case CellKind::not_finite: return "is not a finite number";
        case CellKind::beyond_float: return "is outside the range of a float";
        default:
            return first_row ? "is not a number (a first row is a header only if none of its cells is a number)"
                             : "is not a number";
    }
}

// A cell as a message quotes it: long ones cut short.
[[nodiscard]] inline std::string quoted(std::string_view cell) {
    constexpr std::size_t longest = 24;
    return cell.size() <= longest ? fmt::format("\"{}\"", cell) : fmt::format("\"{}...\"", cell.substr(0, longest));
}

}  // namespace detail

// Reads every row of `path`. The first row is a header when none of its
// cells is a number, as pandas would take it; a first row with a number in
// it is data, so that "nan,1,2" or "1,abc,2" is an error rather than a header
// silently dropped. Every cell of a row of data must be a finite float: any
// other is an error naming its line and column. Blank lines are skipped;
// "\r\n" line ends and a UTF-8 byte order mark are accepted.
inline LabelledRows read_labelled_csv(const std::filesystem::path& path) {
    const std::string text = detail::read_whole_file(path);
    std::string_view rest = text;
    if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);

    LabelledRows rows;
    std::size_t cells_per_row = 0, width_line = 0;  // set by the first row, header or not
    std::vector<float> numbers;
    for (std::size_t line_number = 1; !rest.empty(); ++line_number) {
        const std::size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (detail::trim(line).empty()) continue;

        const auto cells = detail::split_cells(line);
        const bool first_row = width_line == 0;
        if (first_row) {
            cells_per_row = cells.size();
            width_line = line_number;
        } else if (cells.size() != cells_per_row) {
            throw detail::csv_error(path, fmt::format("line {}: {} cells, but line {}{} has {}", line_number,
                                                      cells.size(), width_line, rows.has_header ? " (the header)" : "",
                                                      cells_per_row));
        }
        const auto is_text = [](std::string_view cell) {
            return detail::parse_cell(cell).kind == detail::CellKind::text;
        };
        if (first_row && std::ranges::all_of(cells, is_text)) {
            rows.has_header = true;
            continue;
        }
        numbers.clear();
        for (std::size_t column = 0; column < cells.size(); ++column) {
            const detail::Cell cell = detail::parse_cell(cells[column]);
            if (cell.kind != detail::CellKind::finite)
                throw detail::csv_error(path, fmt::format("line {}, column {}: {} {}", line_number, column + 1,
                                                          detail::quoted(cells[column]),
                                                          detail::cell_problem(cell.kind, first_row)));
            numbers.push_back(cell.value);
        }
        if (cells.size() < 2)
            throw detail::csv_error(path, fmt::format("line {}: a single cell; each row needs values and then a label",
                                                      line_number));
        if (numbers.back() != 0.0f && numbers.back() != 1.0f)
            throw detail::csv_error(path, fmt::format("line {}: the label (the last cell) is {}; expected 0 or 1",
                                                      line_number, detail::quoted(cells.back())));
        if (rows.first_row_line == 0) {
            rows.first_row_line = line_number;
            rows.values_per_row = cells.size() - 1;
        }
        rows.values.insert(rows.values.end(), numbers.begin(), numbers.end() - 1);
        rows.labels.push_back(numbers.back() == 1.0f ? 1 : 0);
    }
    if (width_line == 0) throw detail::csv_error(path, "the file is empty");
    if (rows.labels.empty()) throw detail::csv_error(path, "the file holds a header and no rows of numbers");
    return rows;
}

}  // namespace typenet::io
