//! The route table: every endpoint is registered here once, by its handler. A handler's
//! `#[utoipa::path]` and route attribute (method and path) are its only declaration; this list
//! feeds the router, the OpenAPI document's paths and the 405 `Allow` answers alike.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::http::routes::AllowedMethods;
use crate::{
    agencies, calendar, catalogs, deadlines, directions, health, officials, processes, public,
    touchpoints, units, workflow,
};

/// The operations endpoints (`/health`, `/ready`, `/metrics`): documented, token-free, and
/// without the problem responses of the API.
pub fn operations(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(crate::metrics::metrics);
}

/// Every `/api/v1` operation. Each handler's `#[utoipa::path]` + route attribute is its only
/// declaration: this list feeds the router, the OpenAPI paths and the 405 `Allow` answers.
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1")
            // the public reads first: the router tries routes in order, and portals' reads
            // are most of the traffic (each route tried costs a pattern match)
            .service(public::api::list_agencies)
            .service(public::api::current_register)
            .service(public::api::list_versions)
            .service(public::api::version_register)
            .service(public::open_now::open_now)
            .service(crate::rules::api::public_findings)
            .service(public::api::diff)
            .service(public::region::region_register)
            .service(crate::stats::api::public_agency_stats)
            .service(crate::stats::api::public_region_stats)
            .service(public::api::changes)
            .service(crate::sync::api::touchpoint_changes)
            .service(crate::sync::api::touchpoints_by_id)
            .service(crate::opendata::api::list)
            .service(crate::opendata::api::agency_meta_csv)
            .service(crate::opendata::api::agency_meta_json)
            .service(crate::opendata::api::agency_structure)
            .service(crate::opendata::api::agency_data)
            .service(crate::opendata::api::region_meta_csv)
            .service(crate::opendata::api::region_meta_json)
            .service(crate::opendata::api::region_structure)
            .service(crate::opendata::api::region_data)
            .service(agencies::api::list_agencies)
            .service(agencies::api::create_agency)
            .service(agencies::api::get_agency)
            .service(agencies::api::update_agency)
            .service(agencies::api::delete_agency)
            .service(agencies::api::list_organizations)
            .service(agencies::api::create_organization)
            .service(units::api::list_units)
            .service(units::api::create_unit)
            .service(directions::api::list_directions)
            .service(directions::api::create_direction)
            .service(processes::api::list_processes)
            .service(processes::api::create_process)
            .service(processes::api::put_process_by_external_id)
            .service(catalogs::api::list_channel_rules)
            .service(catalogs::api::set_channel_rule)
            .service(catalogs::api::clear_channel_rule)
            .service(agencies::api::get_organization)
            .service(agencies::api::update_organization)
            .service(agencies::api::delete_organization)
            .service(units::api::get_unit)
            .service(units::api::update_unit)
            .service(units::api::delete_unit)
            .service(officials::api::list_officials)
            .service(officials::api::create_official)
            .service(officials::api::get_official)
            .service(officials::api::update_official)
            .service(officials::api::delete_official)
            .service(officials::api::set_direction_curator)
            .service(directions::api::get_direction)
            .service(directions::api::update_direction)
            .service(directions::api::delete_direction)
            .service(processes::api::get_process)
            .service(processes::api::update_process)
            .service(processes::api::delete_process)
            .service(touchpoints::api::list_touchpoints)
            .service(touchpoints::api::create_touchpoint)
            .service(touchpoints::api::put_touchpoint_by_external_id)
            .service(touchpoints::api::search_touchpoints)
            .service(touchpoints::api::get_touchpoint)
            .service(touchpoints::api::update_touchpoint)
            .service(touchpoints::api::delete_touchpoint)
            .service(workflow::api::list_revisions)
            .service(workflow::api::open_revision)
            .service(workflow::api::get_revision)
            .service(workflow::api::agree_part)
            .service(workflow::api::submit_part)
            .service(workflow::api::return_part)
            .service(workflow::api::accept_part)
            .service(workflow::api::approve_revision)
            .service(workflow::api::refuse_revision)
            .service(workflow::api::cancel_revision)
            .service(workflow::api::publish_revision)
            .service(workflow::api::revision_history)
            .service(public::api::working_copy)
            .service(workflow::api::list_versions)
            .service(workflow::api::diff_versions)
            .service(workflow::api::get_version)
            .service(workflow::api::get_settings)
            .service(workflow::api::put_settings)
            .service(workflow::api::delete_settings)
            .service(crate::forms::api::get_profile)
            .service(crate::forms::api::put_profile)
            .service(crate::forms::api::delete_profile)
            .service(crate::opendata::api::get_agency_settings)
            .service(crate::opendata::api::put_agency_settings)
            .service(crate::opendata::api::get_region_settings)
            .service(crate::opendata::api::put_region_settings)
            .service(deadlines::api::agency_deadlines)
            .service(deadlines::api::overview)
            .service(deadlines::api::get_obligations)
            .service(deadlines::api::put_obligations)
            .service(crate::reviews::api::record_review)
            .service(crate::reviews::api::list_reviews)
            .service(calendar::api::get_year)
            .service(calendar::api::put_day)
            .service(calendar::api::delete_day)
            .service(crate::import::api::import)
            .service(crate::files::api::upload)
            .service(crate::files::api::list)
            .service(crate::files::api::download_file)
            .service(crate::files::api::download_signature)
            .service(crate::rules::api::revision_findings)
            .service(crate::stats::api::agency_stats)
            .service(crate::stats::api::deadline_stats)
            .service(crate::webhooks::api::list)
            .service(crate::webhooks::api::create)
            .service(crate::webhooks::api::delete)
            .service(crate::webhooks::api::deliveries)
            .service(crate::notices::api::list_mail)
            .service(catalogs::api::list_needs)
            .service(catalogs::api::list_channel_types)
            .service(directions::api::list_catalog_directions),
    );
}

/// The routes outside the spec: Swagger UI, its redirect, and the problem+json fallback
/// (405 with `Allow` for a known path, 404 otherwise).
pub fn undocumented(cfg: &mut web::ServiceConfig, spec: utoipa::openapi::OpenApi) {
    let allowed = web::Data::new(AllowedMethods::from_openapi(&spec));
    cfg.app_data(allowed)
        .service(
            web::resource("/")
                .route(web::get().to(crate::landing::page))
                .route(web::head().to(crate::landing::page))
                .default_service(web::to(|req: actix_web::HttpRequest| async move {
                    crate::http::extract::method_not_allowed(&req, "GET, HEAD")
                })),
        )
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", spec))
        .service(web::resource("/swagger-ui").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/swagger-ui/"))
                .finish()
        })))
        .default_service(web::to(crate::http::routes::fallback));
}
