//! CloudWatch Logs: the log group the connector's workers write to.

use serde::{Deserialize, Serialize};

use super::{Arn, Form, IN_PLACE, Kind, Known, REPLACE, Tags, is_null};

pub struct LogGroup;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct LogGroupAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    /// Days; none: kept forever.
    #[serde(skip_serializing_if = "is_null")]
    pub retention_in_days: F::Of<Option<i32>>,
    pub tags: F::Of<Tags>,
}

impl Kind for LogGroup {
    const NAME: &'static str = "log_group";
    type Attrs<F: Form> = LogGroupAttrs<F>;
    type Outputs<F: Form> = Arn<F>;
    const CHANGES: LogGroupAttrs<super::Rules> = LogGroupAttrs {
        name: REPLACE,
        retention_in_days: IN_PLACE,
        tags: IN_PLACE,
    };
}
