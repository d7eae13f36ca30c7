// io::read_labelled_csv: which first row is a header, and every cell that is
// not a finite number refused with its file, line and column.
#include "typenet/io/csv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <string_view>

namespace {

namespace fs = std::filesystem;
namespace io = typenet::io;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CsvTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "typenet-csv-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        directory_ = name;
    }
    void TearDown() override { fs::remove_all(directory_); }

    fs::path write(std::string_view text) const {
        const fs::path path = directory_ / "rows.csv";
        std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
        return path;
    }

    // The message read_labelled_csv gives for `text`; a test failure if it gives none.
    std::string failure(std::string_view text) const {
        const fs::path path = write(text);
        try {
            io::read_labelled_csv(path);
        } catch (const typenet::DataError& error) {
            EXPECT_THAT(error.what(), StartsWith(path.string() + ": "));
            return error.what();
        }
        ADD_FAILURE() << "expected a typenet::DataError for:\n" << text;
        return {};
    }

    fs::path directory_;
};

TEST_F(CsvTest, FirstRowOfTextIsAHeader) {
    const io::LabelledRows rows = io::read_labelled_csv(write("a,b,label\n0.1,0.2,1\n0.3,-4,0\n"));
    EXPECT_TRUE(rows.has_header);
    EXPECT_EQ(rows.first_row_line, 2u);
    EXPECT_EQ(rows.values_per_row, 2u);
    EXPECT_THAT(rows.values, ElementsAre(0.1f, 0.2f, 0.3f, -4.0f));
    EXPECT_THAT(rows.labels, ElementsAre(1, 0));
}

TEST_F(CsvTest, FirstRowOfNumbersIsData) {
    const io::LabelledRows rows = io::read_labelled_csv(write("0.1,0.2,1\n0.3,-4,0\n"));
    EXPECT_FALSE(rows.has_header);
    EXPECT_EQ(rows.first_row_line, 1u);
    EXPECT_THAT(rows.values, ElementsAre(0.1f, 0.2f, 0.3f, -4.0f));
}

// nan and inf are numbers, as numpy and pandas read them, so a row holding
// one is data, not a header; data the trainer cannot use.
struct NonFiniteCase {
    std::string cell;
};

void PrintTo(const NonFiniteCase& non_finite, std::ostream* stream) { *stream << non_finite.cell; }

class CsvNonFiniteFirstCell : public CsvTest, public ::testing::WithParamInterface<NonFiniteCase> {};

TEST_P(CsvNonFiniteFirstCell, InTheFirstRowIsRefusedNotTakenForAHeader) {
    const std::string& cell = GetParam().cell;
    EXPECT_THAT(failure(cell + ",1,2\n0.5,0.5,1\n"),
                HasSubstr("line 1, column 1: \"" + cell + "\" is not a finite number"));
}

INSTANTIATE_TEST_SUITE_P(Cells, CsvNonFiniteFirstCell,
                         ::testing::Values(NonFiniteCase{"nan"}, NonFiniteCase{"NaN"}, NonFiniteCase{"inf"},
                                           NonFiniteCase{"-inf"}, NonFiniteCase{"Infinity"}),
                         [](const ::testing::TestParamInfo<NonFiniteCase>& info) {
                             return info.param.cell == "-inf" ? std::string("MinusInf") : info.param.cell;
                         });

TEST_F(CsvTest, NumberBeyondAFloatIsRefusedNotTakenForAHeader) {
    EXPECT_THAT(failure("1e39,1,0\n0.5,0.5,1\n"),
                HasSubstr("line 1, column 1: \"1e39\" is outside the range of a float"));
    EXPECT_THAT(failure("0.5,0.5,1\n0.5,-1e-50,1\n"),
                HasSubstr("line 2, column 2: \"-1e-50\" is outside the range of a float"));
}

TEST_F(CsvTest, MixedFirstRowIsRefused) {
    EXPECT_THAT(failure("1,abc,2\n0.5,0.5,1\n"),
                AllOf(HasSubstr("line 1, column 2: \"abc\" is not a number"),
                      HasSubstr("a first row is a header only if none of its cells is a number")));
}

TEST_F(CsvTest, NonFiniteValueInALaterRowIsRefused) {
    EXPECT_THAT(failure("a,b,label\n0.1,0.2,1\n0.3,inf,0\n"),
                HasSubstr("line 3, column 2: \"inf\" is not a finite number"));
    EXPECT_THAT(failure("0.1,0.2,1\n\n0.3,0.4,nan\n"), HasSubstr("line 3, column 3: \"nan\" is not a finite number"));
}

TEST_F(CsvTest, TextInALaterRowIsRefused) {
    const std::string message = failure("0.1,0.2,1\n0.3,x,0\n");
    EXPECT_THAT(message, HasSubstr("line 2, column 2: \"x\" is not a number"));
    EXPECT_THAT(message, Not(HasSubstr("header")));
}

}  // namespace
