# Las páginas de quien responde a un cuestionario.
respond-page = Página
respond-next = Siguiente
respond-back = Atrás
respond-send = Enviar
respond-add = Añadir
respond-remove = Quitar
respond-other = Otro
respond-other-specify = Si es otro, especifique
respond-errors = Algunas respuestas necesitan su atención:
respond-error-required = Esta respuesta es obligatoria.
respond-error-constraint = Esta respuesta no se acepta.
respond-error-integer = Escriba un número entero.
respond-error-decimal = Escriba un número.
respond-error-date = Escriba una fecha.
respond-error-time = Escriba una hora.
respond-error-choice = Elija una de las opciones.
respond-form-language = Idioma del cuestionario
respond-resume = Sus respuestas están guardadas. Para continuar más tarde, guarde este enlace:
respond-resume-link = continuar el cuestionario
respond-thanks-title = Gracias
respond-thanks = Sus respuestas se han enviado.
respond-closed-title = Cuestionario no disponible
respond-closed = Este cuestionario está cerrado.
respond-not-found = No hay ningún cuestionario en esta dirección.
respond-status-updated = Las preguntas se han actualizado.
respond-status-errors =
    { $count ->
        [one] Una respuesta que revisar.
       *[other] { $count } respuestas que revisar.
    }
