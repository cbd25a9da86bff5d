variable "namespace" {
  type        = string
  default     = "argocd"
  description = "Namespace Argo CD runs in."
}

variable "argocd_version" {
  type        = string
  default     = "v3.5.1"
  description = "Argo CD release; its install manifest is vendored under manifests/."
}

variable "install_manifest" {
  type        = string
  default     = null
  description = "Path of the install manifest (default: the vendored one for argocd_version)."
}

variable "force_conflicts" {
  type        = bool
  default     = true
  description = "Take back fields of the install that someone else changed, instead of failing."
}

variable "install_timeout" {
  type    = string
  default = "15m"
}

variable "root_app_name" {
  type    = string
  default = "root"
}

variable "repo_url" {
  type        = string
  description = "Git repository of the app-of-apps."
}

variable "repo_path" {
  type        = string
  default     = "apps"
  description = "Directory in the repository holding the Application manifests."
}

variable "target_revision" {
  type    = string
  default = "HEAD"
}

variable "wait_for_root_app" {
  type        = bool
  default     = true
  description = "Wait until the root Application is Synced and Healthy."
}
