//! Resource kind names: the key that selects a driver.

pub const VPC: &str = "vpc";
pub const SUBNET: &str = "subnet";
pub const INTERNET_GATEWAY: &str = "internet_gateway";
pub const EIP: &str = "eip";
pub const NAT_GATEWAY: &str = "nat_gateway";
pub const ROUTE_TABLE: &str = "route_table";
pub const SECURITY_GROUP: &str = "security_group";
pub const INSTANCE: &str = "instance";
pub const DB_CLUSTER_PARAMETER_GROUP: &str = "db_cluster_parameter_group";
pub const DB_SUBNET_GROUP: &str = "db_subnet_group";
pub const DB_CLUSTER: &str = "db_cluster";
pub const DB_INSTANCE: &str = "db_instance";
pub const DB_CDC_USER: &str = "db_cdc_user";
pub const SECRET: &str = "secret";
pub const MSK_CONFIGURATION: &str = "msk_configuration";
pub const MSK_CLUSTER: &str = "msk_cluster";
pub const S3_BUCKET: &str = "s3_bucket";
pub const S3_OBJECT: &str = "s3_object";
pub const IAM_ROLE: &str = "iam_role";
pub const IAM_ROLE_POLICY: &str = "iam_role_policy";
pub const LOG_GROUP: &str = "log_group";
pub const MSKC_CUSTOM_PLUGIN: &str = "mskconnect_custom_plugin";
pub const MSKC_WORKER_CONFIGURATION: &str = "mskconnect_worker_configuration";
pub const MSKC_CONNECTOR: &str = "mskconnect_connector";
pub const REDSHIFT_NAMESPACE: &str = "redshift_namespace";
pub const REDSHIFT_WORKGROUP: &str = "redshift_workgroup";
