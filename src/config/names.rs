//! AWS naming rules, checked offline so a bad name fails in `validate`
//! instead of twenty minutes into an apply.
//!
//! Each rule returns the problem in words, or `Ok`.

/// A naming rule: what it names, its length limits, and how to check characters.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub what: &'static str,
    pub min: usize,
    pub max: usize,
    pub check: fn(&str) -> Result<(), String>,
}

impl Rule {
    /// # Errors
    /// A sentence saying what is wrong with `name`.
    pub fn check(&self, name: &str) -> Result<(), String> {
        let n = name.chars().count();
        if n < self.min || n > self.max {
            return Err(format!(
                "`{name}` is {n} characters; {} must be {}",
                self.what,
                if self.min == self.max {
                    format!("{} characters", self.min)
                } else {
                    format!("{}–{} characters", self.min, self.max)
                }
            ));
        }
        (self.check)(name).map_err(|e| format!("`{name}`: {} {e}", self.what))
    }
}

fn chars_ok(s: &str, ok: impl Fn(char) -> bool, allowed: &str) -> Result<(), String> {
    match s.chars().find(|c| !ok(*c)) {
        Some(c) => Err(format!("may contain only {allowed}, not {c:?}")),
        None => Ok(()),
    }
}

fn lower_alnum_hyphen(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
        "lowercase letters, digits and hyphens",
    )
}

/// RDS DB cluster / instance identifiers and parameter group names.
fn rds_identifier(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "letters, digits and hyphens",
    )?;
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".into());
    }
    if s.ends_with('-') || s.contains("--") {
        return Err("must not end with a hyphen or contain two consecutive hyphens".into());
    }
    Ok(())
}

fn rds_subnet_group(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || " ._-".contains(c),
        "letters, digits, spaces, periods, underscores and hyphens",
    )?;
    if s.eq_ignore_ascii_case("default") {
        return Err("must not be `default`".into());
    }
    Ok(())
}

fn msk_name(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "letters, digits and hyphens",
    )?;
    if s.starts_with('-') {
        return Err("must start with a letter or digit".into());
    }
    Ok(())
}

fn mskconnect_name(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || c == '-',
        "letters, digits and hyphens",
    )
}

fn redshift_name(s: &str) -> Result<(), String> {
    lower_alnum_hyphen(s)
}

fn iam_name(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c),
        "letters, digits and +=,.@_-",
    )
}

fn s3_bucket(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-',
        "lowercase letters, digits, periods and hyphens",
    )?;
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(s.chars().next()) || !first_last_ok(s.chars().last()) {
        return Err("must begin and end with a letter or digit".into());
    }
    if s.contains("..") {
        return Err("must not contain two adjacent periods".into());
    }
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("must not be formatted as an IP address".into());
    }
    for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if s.starts_with(p) {
            return Err(format!("must not start with `{p}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if s.ends_with(suffix) {
            return Err(format!("must not end with `{suffix}`"));
        }
    }
    Ok(())
}

fn secret_name(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c),
        "letters, digits and /_+=.@-",
    )
}

fn log_group(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || "._-/#".contains(c),
        "letters, digits and ._-/#",
    )
}

fn security_group(s: &str) -> Result<(), String> {
    if s.to_ascii_lowercase().starts_with("sg-") {
        return Err("must not start with `sg-`".into());
    }
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c),
        "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*",
    )
}

pub const RDS_CLUSTER: Rule = Rule {
    what: "an RDS DB cluster identifier",
    min: 1,
    max: 63,
    check: rds_identifier,
};
pub const RDS_INSTANCE: Rule = Rule {
    what: "an RDS DB instance identifier",
    min: 1,
    max: 63,
    check: rds_identifier,
};
pub const RDS_PARAMETER_GROUP: Rule = Rule {
    what: "an RDS DB cluster parameter group name",
    min: 1,
    max: 255,
    check: rds_identifier,
};
pub const RDS_SUBNET_GROUP: Rule = Rule {
    what: "an RDS DB subnet group name",
    min: 1,
    max: 255,
    check: rds_subnet_group,
};
pub const MSK_CLUSTER: Rule = Rule {
    what: "an MSK cluster name",
    min: 1,
    max: 64,
    check: msk_name,
};
pub const MSK_CONFIGURATION: Rule = Rule {
    what: "an MSK configuration name",
    min: 1,
    max: 64,
    check: msk_name,
};
pub const MSKC_CONNECTOR: Rule = Rule {
    what: "an MSK Connect connector name",
    min: 1,
    max: 128,
    check: mskconnect_name,
};
pub const MSKC_PLUGIN: Rule = Rule {
    what: "an MSK Connect custom plugin name",
    min: 1,
    max: 128,
    check: mskconnect_name,
};
pub const MSKC_WORKER_CONFIGURATION: Rule = Rule {
    what: "an MSK Connect worker configuration name",
    min: 1,
    max: 128,
    check: mskconnect_name,
};
pub const REDSHIFT_NAMESPACE: Rule = Rule {
    what: "a Redshift Serverless namespace name",
    min: 3,
    max: 64,
    check: redshift_name,
};
pub const REDSHIFT_WORKGROUP: Rule = Rule {
    what: "a Redshift Serverless workgroup name",
    min: 3,
    max: 64,
    check: redshift_name,
};
pub const IAM_ROLE: Rule = Rule {
    what: "an IAM role name",
    min: 1,
    max: 64,
    check: iam_name,
};
pub const S3_BUCKET: Rule = Rule {
    what: "an S3 bucket name",
    min: 3,
    max: 63,
    check: s3_bucket,
};
pub const SECRET: Rule = Rule {
    what: "a Secrets Manager secret name",
    min: 1,
    max: 512,
    check: secret_name,
};
pub const LOG_GROUP: Rule = Rule {
    what: "a CloudWatch Logs log group name",
    min: 1,
    max: 512,
    check: log_group,
};
pub const SECURITY_GROUP: Rule = Rule {
    what: "a security group name",
    min: 1,
    max: 255,
    check: security_group,
};

/// `stack.name` and `stack.environment`: they go into every name, including
/// Redshift's and S3's lowercase-only ones.
pub const NAME_PART: Rule = Rule {
    what: "a name part",
    min: 1,
    max: 32,
    check: |s| {
        lower_alnum_hyphen(s)?;
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("must start with a lowercase letter".into());
        }
        if s.ends_with('-') || s.contains("--") {
            return Err("must not end with a hyphen or contain two consecutive hyphens".into());
        }
        Ok(())
    },
};

/// MySQL identifiers for databases (Aurora `database`, Debezium include list).
pub const MYSQL_DATABASE: Rule = Rule {
    what: "an Aurora MySQL database name",
    min: 1,
    max: 64,
    check: |s| {
        chars_ok(
            s,
            |c| c.is_ascii_alphanumeric() || c == '_',
            "letters, digits and underscores",
        )?;
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err("must start with a letter".into());
        }
        Ok(())
    },
};

pub const MYSQL_MASTER_USER: Rule = Rule {
    what: "an Aurora MySQL master username",
    min: 1,
    max: 16,
    check: mysql_user,
};

pub const MYSQL_USER: Rule = Rule {
    what: "a MySQL user name",
    min: 1,
    max: 32,
    check: mysql_user,
};

fn mysql_user(s: &str) -> Result<(), String> {
    chars_ok(
        s,
        |c| c.is_ascii_alphanumeric() || c == '_',
        "letters, digits and underscores",
    )?;
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".into());
    }
    if ["rdsadmin", "rdsrepladmin", "root", "mysql"].contains(&s.to_ascii_lowercase().as_str()) {
        return Err("is reserved by RDS or MySQL".into());
    }
    Ok(())
}

pub const REDSHIFT_DATABASE: Rule = Rule {
    what: "a Redshift database name",
    min: 1,
    max: 127,
    check: |s| {
        chars_ok(
            s,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$',
            "lowercase letters, digits, underscores and dollar signs",
        )?;
        if !s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            return Err("must start with a lowercase letter or an underscore".into());
        }
        Ok(())
    },
};

pub const REDSHIFT_ADMIN_USER: Rule = Rule {
    what: "a Redshift admin username",
    min: 1,
    max: 128,
    check: |s| {
        chars_ok(
            s,
            |c| c.is_ascii_alphanumeric() || c == '_',
            "letters, digits and underscores",
        )?;
        if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err("must start with a letter".into());
        }
        if ["rdsdb", "public", "user", "system"].contains(&s.to_ascii_lowercase().as_str()) {
            return Err("is a reserved word in Redshift".into());
        }
        Ok(())
    },
};

pub const KAFKA_TOPIC_PREFIX: Rule = Rule {
    what: "a Kafka topic prefix",
    min: 1,
    max: 200,
    check: |s| {
        chars_ok(
            s,
            |c| c.is_ascii_alphanumeric() || "._-".contains(c),
            "letters, digits and ._-",
        )
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_identifier_rules() {
        assert!(RDS_CLUSTER.check("cdc-dev-aurora").is_ok());
        assert!(
            RDS_CLUSTER
                .check("1cdc")
                .unwrap_err()
                .contains("start with a letter")
        );
        assert!(RDS_CLUSTER.check("cdc--x").is_err());
        assert!(
            RDS_CLUSTER
                .check(&"a".repeat(64))
                .unwrap_err()
                .contains("64 characters")
        );
    }

    #[test]
    fn bucket_rules() {
        assert!(S3_BUCKET.check("acme-cdcstack-state").is_ok());
        assert!(S3_BUCKET.check("Acme").is_err());
        assert!(S3_BUCKET.check("192.168.1.1").is_err());
        assert!(S3_BUCKET.check("ab").is_err());
        assert!(S3_BUCKET.check("a..b").is_err());
        assert!(S3_BUCKET.check("x-s3alias").is_err());
    }

    #[test]
    fn redshift_is_lowercase_only() {
        assert!(REDSHIFT_WORKGROUP.check("cdc-dev-redshift").is_ok());
        assert!(REDSHIFT_WORKGROUP.check("Cdc").is_err());
        assert!(REDSHIFT_WORKGROUP.check("ab").is_err());
    }
}
