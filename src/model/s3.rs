//! S3: the connector's artifact bucket and the plugin zip in it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Arn, Form, IN_PLACE, Kind, Known, REPLACE, Tags, is_null};

pub struct Bucket;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct BucketAttrs<F: Form = Known> {
    pub bucket: F::Of<String>,
    pub versioning: F::Of<bool>,
    /// The default encryption's algorithm (`AES256`, `aws:kms`); none when off.
    #[serde(skip_serializing_if = "is_null")]
    pub encryption: F::Of<Option<String>>,
    pub block_public_access: F::Of<bool>,
    pub tags: F::Of<Tags>,
}

impl Kind for Bucket {
    const NAME: &'static str = "s3_bucket";
    type Attrs<F: Form> = BucketAttrs<F>;
    type Outputs<F: Form> = Arn<F>;
    const CHANGES: BucketAttrs<super::Rules> = BucketAttrs {
        bucket: REPLACE,
        versioning: IN_PLACE,
        encryption: IN_PLACE,
        block_public_access: IN_PLACE,
        tags: IN_PLACE,
    };
}

pub struct Object;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ObjectAttrs<F: Form = Known> {
    pub bucket: F::Of<String>,
    pub key: F::Of<String>,
    /// The local file it is uploaded from.
    pub source: F::Of<String>,
    /// The content's SHA-256 (none when the file cannot be read at plan time).
    #[serde(skip_serializing_if = "is_null")]
    pub sha256: F::Of<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct ObjectOutputs<F: Form = Known> {
    pub version_id: F::Of<String>,
}

impl Kind for Object {
    const NAME: &'static str = "s3_object";
    type Attrs<F: Form> = ObjectAttrs<F>;
    type Outputs<F: Form> = ObjectOutputs<F>;
    const CHANGES: ObjectAttrs<super::Rules> = ObjectAttrs {
        bucket: REPLACE,
        key: REPLACE,
        source: IN_PLACE,
        sha256: IN_PLACE,
    };
    const VOLATILE: &'static [&'static str] = &["version_id"];

    fn same(attr: &str, desired: &Value, live: &Value) -> bool {
        // Where the zip is read from (another checkout, a renamed copy) is
        // not the object: its content, by checksum, is.
        attr == "source" || desired == live
    }
}
