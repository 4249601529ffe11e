## Shared by every page

common-site-name = Crocevia
common-network-name = Red de servicios para personas extranjeras
common-tagline = Encuentra servicios para personas extranjeras cerca de ti
common-skip-to-content = Ir al contenido
common-language-menu = Idioma
common-main-menu = Menú principal
common-nav-home = Inicio
common-nav-search = Buscar un servicio
common-nav-credits = Fuentes de los datos
common-nav-observatory = Observatorio
common-footer-data = Información de los servicios actualizada por las organizaciones de la red.
common-staff-login = Acceso del personal

## Public portal

portal-home-title = Encuentra ayuda y servicios
portal-home-intro = Oficinas públicas y asociaciones que ayudan a las personas extranjeras: documentos, salud, vivienda, trabajo, escuela y mucho más. Gratis y en tu idioma, cuando es posible.
portal-home-needs-title = ¿Qué necesitas?
portal-home-services-count = { $count ->
    [one] Un servicio en la red
   *[other] { $count } servicios en la red
}
portal-search-title = Buscar un servicio
portal-search-label = ¿Qué estás buscando?
portal-search-placeholder = Por ejemplo: médico, permiso de residencia, curso de italiano
portal-search-button = Buscar
portal-filter-need = Tipo de necesidad
portal-filter-need-any = Todas las necesidades
portal-results-count = { $count ->
    [0] No se encontró ningún servicio. Prueba con otras palabras o quita un filtro.
    [one] Un servicio encontrado
   *[other] { $count } servicios encontrados
}
portal-filter-comune = Municipio
portal-filter-comune-any = Todos los municipios
portal-filter-language = Idioma hablado
portal-filter-language-any = Todos los idiomas
portal-filter-free = Solo servicios gratuitos
portal-filter-open-now = Abierto ahora
portal-search-corrected = También mostramos resultados para «{ $word }» en lugar de:
portal-search-shortened = La búsqueda era demasiado larga: solo se buscaron sus primeros { $max } caracteres. Usa pocas palabras, las que importan.
portal-search-verbatim = Buscar exactamente las palabras que escribiste
portal-emergency-title = Si estás en peligro ahora
portal-emergency-call = Llamar al
portal-emergency-violence = Número contra la violencia y el acoso 1522: gratuito, de día y de noche, también en inglés, francés, español y árabe. En una emergencia llama al 112.
portal-emergency-health = Para una emergencia médica llama al 118 (o al 112): es gratuito y te atienden aunque no tengas documentos.
portal-emergency-shelter = Si esta noche estás en la calle y en peligro, llama al 112. Los servicios de abajo pueden ofrecerte un lugar para dormir.
portal-emergency-trafficking = Número gratuito contra la trata 800 290 290: anónimo, de día y de noche, en muchos idiomas.
portal-map-label = Mapa de los servicios encontrados
portal-not-translated = Este texto todavía no está traducido a tu idioma: se muestra en italiano.
portal-free = Gratuito
portal-pagination = Páginas de resultados
portal-previous = Anterior
portal-next = Siguiente
portal-breadcrumb = Estás aquí
portal-temporarily-closed = Este servicio está cerrado temporalmente.
portal-service-who = Para quién es
portal-service-how = Cómo acceder
portal-service-documents = Documentos que debes llevar
portal-service-cost = Precio
portal-service-hours = Horario
portal-open-now = Abierto ahora
portal-closed-now = Cerrado ahora
portal-service-hours-unknown = Horario no indicado: ponte en contacto con el servicio.
portal-service-languages = Idiomas que se hablan
portal-service-where = Dónde
portal-service-address-on-contact = La dirección se da cuando te pones en contacto, para proteger a las personas acogidas.
portal-service-contacts = Contacto
portal-service-phone = Teléfono
portal-service-email = Correo electrónico
portal-service-website = Sitio web
portal-service-verified = Información verificada el { $date }
portal-service-never-verified = Información todavía no verificada
portal-service-stale = Puede no estar actualizada: confírmalo con el servicio
portal-print = Imprimir esta página
portal-credits-title = Fuentes de los datos
portal-credits-intro = Crocevia usa datos abiertos. Damos las gracias a quienes los publican; sus licencias piden citarlos así:
portal-credits-source = Fuente
portal-credits-by = Autor
portal-credits-licence = Licencia
portal-credits-demo = Los servicios de la red de demostración (L'Aquila y Barletta-Andria-Trani) son inventados y están marcados como "Dati dimostrativi" (datos de demostración).

## Days of the week

day-mo = Lunes
day-tu = Martes
day-we = Miércoles
day-th = Jueves
day-fr = Viernes
day-sa = Sábado
day-su = Domingo
common-too-many-title = Demasiadas solicitudes
common-too-many-body = Han llegado demasiadas solicitudes desde su conexión. Vuelva a intentarlo dentro de { $seconds ->
    [one] un segundo
   *[other] { $seconds } segundos
}.
common-error-title = Página no disponible
common-error-not-found = La página que has pedido no existe.
common-error-forbidden = No tienes permiso para ver esta página.
common-error-bad-request = La solicitud no es válida: revisa la dirección o los datos introducidos.
common-error-server = Algo ha fallado por nuestra parte. Inténtalo de nuevo dentro de unos minutos.
