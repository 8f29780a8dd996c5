//! The row-shape rule (docs/formats.md#the-row-shape-rule): which column each field of a record is, given the
//! header, the field count and the writer era. Fed by the reader; its property test is beside it.

use super::era::Era;
use super::header::{Column, Header, CANONICAL};

/// What a single extra field is taken to be when the writers leave it ambiguous (2.1.3 tie-break): the
/// prompt when the row is an error and the field is not empty (errors have no response), else the
/// response.
#[derive(Debug, Clone, Copy)]
pub struct TieBreak {
    pub is_error: bool,
    pub extra_is_empty: bool,
}

impl TieBreak {
    fn pick(self) -> Column {
        if self.is_error && !self.extra_is_empty {
            Column::InputPrompt
        } else {
            Column::Response
        }
    }
}

/// The meaning of each field of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<Column>,
    /// True when a tie-break decided the layout (reported, and marked in metadata).
    pub ambiguous: bool,
}

/// Why a record's shape fits no writer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("record has {fields} fields; every writer wrote at least the 14 canonical columns")]
    TooFew { fields: usize },
    #[error("record has {fields} fields; under this header no writer wrote more than {max}")]
    TooMany { fields: usize, max: usize },
    #[error("record has {fields} fields but the {header}-column header is not in canonical order")]
    Mismatch { fields: usize, header: usize },
}

/// The decision rule of 2.1.3 that reproduces every writer: which column each of `n` fields is.
pub fn layout(header: &Header, n: usize, era: Era, tie: TieBreak) -> Result<Layout, ShapeError> {
    let exact = |columns: Vec<Column>| {
        Ok(Layout {
            columns,
            ambiguous: false,
        })
    };
    if !header.is_canonical_prefixed() {
        return if n == header.columns.len() {
            exact(header.columns.clone())
        } else {
            Err(ShapeError::Mismatch {
                fields: n,
                header: header.columns.len(),
            })
        };
    }
    if n < CANONICAL.len() {
        return Err(ShapeError::TooFew { fields: n });
    }
    let with = |extras: &[Column], ambiguous: bool| {
        let mut columns = CANONICAL.to_vec();
        columns.extend_from_slice(extras);
        Ok(Layout { columns, ambiguous })
    };
    let k = n - CANONICAL.len();
    let header_extras: Vec<Column> = header
        .extras()
        .iter()
        .copied()
        .filter(|c| matches!(c, Column::InputPrompt | Column::Response))
        .collect();
    match era {
        Era::V01V02 | Era::V03 => match k {
            0 => with(&[], false),
            1 if era == Era::V01V02 => with(&[Column::Response], false),
            1 => with(&[tie.pick()], true),
            2 => with(&[Column::InputPrompt, Column::Response], era == Era::V01V02),
            _ => Err(ShapeError::TooMany {
                fields: n,
                max: CANONICAL.len() + 2,
            }),
        },
        Era::V04Plus => {
            let mut union = header_extras.clone();
            for c in [Column::InputPrompt, Column::Response] {
                if !union.contains(&c) {
                    union.push(c);
                }
            }
            if k <= header_extras.len() {
                with(&header_extras[..k], false)
            } else if k == union.len() {
                with(&union, false)
            } else if k < union.len() {
                // Under R14 one extra field: the batch had either the prompt or the response.
                let mut extras = header_extras.clone();
                extras.push(tie.pick());
                with(&extras, true)
            } else {
                Err(ShapeError::TooMany {
                    fields: n,
                    max: CANONICAL.len() + union.len(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::header::test_support::header;
    use super::*;
    use proptest::prelude::*;

    const NO_TIE: TieBreak = TieBreak {
        is_error: false,
        extra_is_empty: false,
    };
    const ERROR_WITH_TEXT: TieBreak = TieBreak {
        is_error: true,
        extra_is_empty: false,
    };

    #[test]
    fn union_rows_under_r15r_end_response_then_input_prompt() {
        let l = layout(&header(&["response"]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::Response, Column::InputPrompt]);
        assert!(!l.ambiguous);
    }

    #[test]
    fn union_rows_under_r15p_and_r14_end_input_prompt_then_response() {
        let l = layout(&header(&["input_prompt"]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt, Column::Response]);
        let l = layout(&header(&[]), 16, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt, Column::Response]);
    }

    #[test]
    fn a_fifteenth_field_before_v03_is_always_the_response() {
        for h in [
            header(&[]),
            header(&["input_prompt"]),
            header(&["input_prompt", "response"]),
        ] {
            let l = layout(&h, 15, Era::V01V02, ERROR_WITH_TEXT).unwrap();
            assert_eq!(&l.columns[14..], &[Column::Response]);
        }
    }

    #[test]
    fn a_lone_extra_in_v03_or_under_r14_is_a_tie_break() {
        let l = layout(&header(&["response"]), 15, Era::V03, ERROR_WITH_TEXT).unwrap();
        assert_eq!(&l.columns[14..], &[Column::InputPrompt]);
        assert!(l.ambiguous);
        let l = layout(&header(&[]), 15, Era::V04Plus, NO_TIE).unwrap();
        assert_eq!(&l.columns[14..], &[Column::Response]);
        assert!(l.ambiguous);
    }

    #[test]
    fn short_rows_leave_trailing_columns_null_and_too_short_rows_are_rejected() {
        let l = layout(
            &header(&["input_prompt", "response"]),
            14,
            Era::V04Plus,
            NO_TIE,
        )
        .unwrap();
        assert_eq!(l.columns.len(), 14);
        assert_eq!(
            layout(&header(&["response"]), 10, Era::V04Plus, NO_TIE),
            Err(ShapeError::TooFew { fields: 10 })
        );
        assert!(matches!(
            layout(&header(&["response"]), 17, Era::V04Plus, NO_TIE),
            Err(ShapeError::TooMany { .. })
        ));
    }

    proptest! {

        #[test]
        fn every_field_count_has_a_layout_or_a_reason(n in 0usize..40, extras in 0usize..4, era in 0u8..3, err in any::<bool>(), empty in any::<bool>()) {
            let all = [vec![], vec!["response"], vec!["input_prompt"], vec!["input_prompt", "response"]];
            let h = header(&all[extras]);
            let era = [Era::V01V02, Era::V03, Era::V04Plus][usize::from(era)];
            match layout(&h, n, era, TieBreak { is_error: err, extra_is_empty: empty }) {
                Ok(l) => {
                    prop_assert_eq!(l.columns.len(), n);
                    prop_assert_eq!(&l.columns[..14], &CANONICAL[..]);
                    let mut seen = l.columns.clone();
                    seen.sort_by_key(|c| c.name());
                    seen.dedup();
                    prop_assert_eq!(seen.len(), n, "a column appears twice");
                }
                Err(_) => prop_assert!(!(14..=15).contains(&n)),
            }
        }
    }
}
